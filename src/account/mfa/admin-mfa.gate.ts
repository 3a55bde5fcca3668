import { type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthController } from '../../auth/auth.controller';
import {
  PRINCIPAL_CACHE_TTL_MS,
  PrincipalService,
  type UserContext,
} from '../../auth/principal/principal.service';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { Principal } from '../../auth/principal/principal';
import type { AuthenticationHook } from '../../common/guards/authentication-hooks';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import { boundedCache } from '../../common/cache/bounded-cache';
import { holdsAdministrativePower } from './administrative-power';

const BEFORE_ENROLLMENT = 'gatehouse:allowed-before-mfa-enrollment';

/** Marks a route an administrator without MFA may still use (to enrol, or to sign out). */
export function AllowedBeforeMfaEnrollment(): MethodDecorator {
  return SetMetadata(BEFORE_ENROLLMENT, true);
}

/** The auth module's own routes that stay open: who am I, and signing out. */
const OPEN_AUTH_ROUTES: ReadonlySet<string> = new Set<keyof AuthController>(['me', 'logoutAll']);

/**
 * `requireMfaForAdmins`: in a tenant with the setting on, a user with administrative power
 * (any `manage` on users, roles, API keys, OAuth clients, SSO connections or the tenant,
 * whatever the role's name) who has not turned MFA on may sign in with the password —
 * otherwise they could never enrol — but every route except enrolment, `GET /v1/auth/me`,
 * their sessions, password change, email verification and logout answers 403
 * `mfa_enrollment_required` until they do. Their API keys answer it on every route: a key must
 * not carry admin power past the requirement. Once MFA is on, logins need the second factor
 * like any MFA user's. It runs as a hook of the authentication guard, once the caller is known;
 * the power is judged once per cached user context.
 */
@Injectable()
export class AdminMfaGate implements AuthenticationHook {
  readonly name = 'admin-mfa-gate';

  private readonly settings = boundedCache<string, boolean>(10_000, {
    ttl: PRINCIPAL_CACHE_TTL_MS,
  });
  /** Keyed by the cached context itself, so it lives and dies with it. */
  private readonly power = new WeakMap<UserContext, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly principals: PrincipalService,
    private readonly tenants: TenantDirectory,
    bus: InvalidationBus,
  ) {
    bus.on('tenant', (tenantId) => this.settings.delete(tenantId));
  }

  async afterAuthentication(context: ExecutionContext, principal: Principal): Promise<void> {
    if (principal.type === 'client' || !principal.userId) return;
    // An API key cannot enrol its creator: the routes that stay open are for the user.
    if (principal.type === 'user' && this.openBeforeEnrollment(context)) return;
    const userContext = await this.principals.userContext(principal.userId);
    if (!userContext || userContext.user.mfaEnabled || !this.administrative(userContext)) return;
    if (!(await this.requiresMfa(principal.tenant.id))) return;
    throw new AppError(403, ErrorCode.MfaEnrollmentRequired, {
      detail:
        'This tenant requires administrators to use MFA. Turn it on with POST /v1/auth/mfa/totp/enroll and /confirm.',
    });
  }

  private openBeforeEnrollment(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const openAuthRoute =
      context.getClass() === AuthController && OPEN_AUTH_ROUTES.has(handler.name);
    return openAuthRoute || this.reflector.get<boolean>(BEFORE_ENROLLMENT, handler) === true;
  }

  private administrative(context: UserContext): boolean {
    let held = this.power.get(context);
    if (held === undefined) {
      held = holdsAdministrativePower(context.rules);
      this.power.set(context, held);
    }
    return held;
  }

  private async requiresMfa(tenantId: string): Promise<boolean> {
    const cached = this.settings.get(tenantId);
    if (cached !== undefined) return cached;
    const tenant = await this.tenants.findById(tenantId);
    const required = tenant?.settings.requireMfaForAdmins === true;
    this.settings.set(tenantId, required);
    return required;
  }
}
