import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { Caller } from './caller';

export const PUBLIC = 'public';
export const PERMISSION = 'permission';

export interface Permission {
  action: string;
  /** A subject of Gatehouse's permission catalogue (`GET /v1/permissions`), e.g. `Tenant`. */
  subject: string;
}

/** A route anyone may call: every other route needs a valid Gatehouse access token. */
export const Public = () => SetMetadata(PUBLIC, true);

/** The caller must also hold this permission in Gatehouse (checked by `PermissionGuard`). */
export const RequirePermission = (action: string, subject: string) =>
  SetMetadata(PERMISSION, { action, subject } satisfies Permission);

/** The verified caller, as `GatehouseJwtStrategy.validate` returned it. */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<Request & { user: Caller }>().user,
);
