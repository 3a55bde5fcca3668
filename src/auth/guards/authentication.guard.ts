import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ClsService } from 'nestjs-cls';
import type { Principal } from '../principal/principal';
import { PrincipalResolver } from '../principal/principal-resolver.service';
import { ACCESS_METADATA, type AccessRequirement } from '../../common/decorators/access.decorators';
import { AppError } from '../../common/errors/app-error';
import { setDeniedPermission, setPrincipal } from '../../common/http/request-context';
import { AuthenticationHooks } from '../../common/guards/authentication-hooks';

const BEARER = /^Bearer +([\w-]+\.[\w-]+\.[\w-]+) *$/i;
const MAX_CREDENTIAL_LENGTH = 8192;

/**
 * The global guard: closed by default. A route must say `@Public()`, `@Authenticated()` or
 * `@Can(action, subject)`; one that says nothing is refused, and a test walks every route to
 * make sure none does.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: PrincipalResolver,
    private readonly cls: ClsService,
    private readonly hooks: AuthenticationHooks,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<AccessRequirement | undefined>(
      ACCESS_METADATA,
      [context.getHandler(), context.getClass()],
    );
    if (!requirement) throw AppError.forbidden('This route declares no access rule.');
    if (requirement.kind === 'public') return true;

    const req = context.switchToHttp().getRequest<Request>();
    this.hooks.beforeAuthentication(context);
    let principal: Principal;
    try {
      principal = await this.authenticate(req);
    } catch (error) {
      // Refused credentials still count (rate limits per IP against token and key guessing).
      if (error instanceof AppError && error.status === 401)
        await this.hooks.onAuthenticationFailure(context, error);
      throw error;
    }
    setPrincipal(req, principal);
    this.cls.set('principal', principal);
    // Before the permission check, so that refused requests count against the caller too.
    await this.hooks.afterAuthentication(context, principal);

    if (
      requirement.kind === 'permission' &&
      !principal.permissions.can(requirement.action, requirement.subject)
    ) {
      // Recorded as access.denied by the exception filter, like every other refusal.
      setDeniedPermission(req, { action: requirement.action, subject: requirement.subject });
      throw AppError.forbidden();
    }
    return true;
  }

  private async authenticate(req: Request): Promise<Principal> {
    const authorization = req.headers.authorization;
    const apiKey = req.headers['x-api-key'];
    if (typeof authorization === 'string' && authorization !== '') {
      if (authorization.length > MAX_CREDENTIAL_LENGTH) throw AppError.invalidToken();
      const match = BEARER.exec(authorization);
      if (!match?.[1])
        throw AppError.invalidToken('Send the access token as "Authorization: Bearer <token>".');
      return this.resolver.fromAccessToken(match[1]);
    }
    if (typeof apiKey === 'string' && apiKey !== '') {
      if (apiKey.length > MAX_CREDENTIAL_LENGTH) throw AppError.invalidToken();
      return this.resolver.fromApiKey(apiKey);
    }
    throw AppError.unauthorized();
  }
}
