import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createMongoAbility, type RawRuleOf, type MongoAbility } from '@casl/ability';
import { type PackRule, unpackRules } from '@casl/ability/extra';
import type { Request } from 'express';
import { GatehouseConfig } from '../gatehouse.config';
import { PERMISSION, type Permission } from './decorators';

type PackedRules = PackRule<RawRuleOf<MongoAbility>>[];

/**
 * Gatehouse's access tokens carry no roles or permissions (they are read per request, so a role
 * change applies within seconds): the caller's permissions come from `GET /v1/auth/me`, asked
 * with the caller's own token. That call also refuses a token whose session has been revoked.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: GatehouseConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required) return true;
    const authorization = context.switchToHttp().getRequest<Request>().headers.authorization;
    let response: Response;
    try {
      response = await fetch(`${this.config.url}/v1/auth/me`, {
        headers: { authorization: authorization ?? '' },
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      throw new ServiceUnavailableException('Gatehouse cannot be reached');
    }
    if (response.status === 401) throw new UnauthorizedException();
    // 403: a token with no signed-in user (client credentials), which holds no user permissions.
    if (response.status === 403) throw new ForbiddenException();
    // 429 included: Gatehouse limits each user's requests, this call among them.
    if (!response.ok)
      throw new ServiceUnavailableException(`Gatehouse answered ${response.status}`);
    const me = (await response.json()) as { permissions?: PackedRules };
    // An OAuth token's permissions are already cut to its scopes, and absent without an API scope.
    const ability = createMongoAbility(unpackRules(me.permissions ?? []));
    if (!ability.can(required.action, required.subject)) {
      throw new ForbiddenException(
        `This needs the permission to ${required.action} ${required.subject}`,
      );
    }
    return true;
  }
}
