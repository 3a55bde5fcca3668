import { Module, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { LoginPolicies } from '../auth/login/login-policies';
import { AuthenticationHooks } from '../common/guards/authentication-hooks';
import { LockoutStore } from './lockout.store';
import { LoginLockoutPolicy } from './login-lockout.policy';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitStorage, rateLimitStorageProvider } from './rate-limit.storage';

/**
 * Gateway abuse controls: rate limits (a global guard for public routes, authentication hooks
 * for the rest) and the login lockout (a login policy).
 */
@Module({
  imports: [AuthModule],
  providers: [
    rateLimitStorageProvider,
    RateLimitGuard,
    { provide: APP_GUARD, useExisting: RateLimitGuard },
    LockoutStore,
    LoginLockoutPolicy,
  ],
  exports: [RateLimitStorage],
})
export class RateLimitModule implements OnModuleInit {
  constructor(
    private readonly hooks: AuthenticationHooks,
    private readonly policies: LoginPolicies,
    private readonly guard: RateLimitGuard,
    private readonly lockout: LoginLockoutPolicy,
  ) {}

  onModuleInit(): void {
    this.hooks.register(this.guard);
    this.policies.register(this.lockout);
  }
}
