import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '../../auth/principal/principal';
import { AppError } from '../errors/app-error';
import { requestIdOf } from '../middleware/request-id.middleware';

const PRINCIPAL = Symbol('principal');
type WithPrincipal = Request & { [PRINCIPAL]?: Principal };

export function setPrincipal(req: Request, principal: Principal): void {
  (req as WithPrincipal)[PRINCIPAL] = principal;
}

export function principalOf(req: Request): Principal | undefined {
  return (req as WithPrincipal)[PRINCIPAL];
}

/** The authenticated caller; only on routes that require authentication. */
export const Auth = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = principalOf(context.switchToHttp().getRequest<Request>());
  if (!principal) throw AppError.unauthorized();
  return principal;
});

/** Where a request came from, for sessions and the audit log. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function clientInfoOf(req: Request): ClientInfo {
  const userAgent = req.headers['user-agent'];
  return {
    // `req.ip` honours TRUST_PROXY (Express's "trust proxy"), and only then X-Forwarded-For.
    ip: req.ip ? req.ip.slice(0, 64) : null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
    requestId: requestIdOf(req) ?? null,
  };
}

export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo =>
  clientInfoOf(context.switchToHttp().getRequest<Request>()),
);
