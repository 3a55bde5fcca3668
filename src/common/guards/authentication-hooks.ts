import { type ExecutionContext, Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal/principal';
import type { AppError } from '../errors/app-error';

/**
 * A rule that takes part in the global guard's credential check, contributed by the module that
 * owns it (the gateway's rate limiter). Hooks run in registration order; any may throw an
 * `AppError` to answer instead of the route.
 */
export interface AuthenticationHook {
  readonly name: string;
  /** Before the credentials are checked: may refuse without checking them (no I/O here). */
  beforeAuthentication?(context: ExecutionContext): void;
  /** The credentials were accepted; runs before the route's permission is checked. */
  afterAuthentication?(context: ExecutionContext, principal: Principal): Promise<void>;
  /** The credentials were refused with `error` (a 401); may answer something else instead. */
  onAuthenticationFailure?(context: ExecutionContext, error: AppError): Promise<void>;
}

/**
 * The hooks registered by feature modules at start (`onModuleInit`), so the guard stays the one
 * place that authenticates, whatever else needs to see each attempt.
 */
@Injectable()
export class AuthenticationHooks {
  private hooks: AuthenticationHook[] = [];

  register(hook: AuthenticationHook): void {
    this.hooks = [...this.hooks.filter((h) => h.name !== hook.name), hook];
  }

  beforeAuthentication(context: ExecutionContext): void {
    for (const hook of this.hooks) hook.beforeAuthentication?.(context);
  }

  async afterAuthentication(context: ExecutionContext, principal: Principal): Promise<void> {
    for (const hook of this.hooks) await hook.afterAuthentication?.(context, principal);
  }

  async onAuthenticationFailure(context: ExecutionContext, error: AppError): Promise<void> {
    for (const hook of this.hooks) await hook.onAuthenticationFailure?.(context, error);
  }
}
