import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import type { LoginAttempt, LoginPolicy, VerifiedLogin } from '../../auth/login/login-policy';
import { AppConfig } from '../../config/app-config';
import { sha256Hex } from '../crypto/tokens';
import { LockoutStore } from './lockout.store';
import { rateLimitedError } from './rate-limited.error';

const LOCKED_DETAIL = 'Too many failed sign-in attempts. Try again later.';

/**
 * Brute-force lockout (SPEC §13): after `LOCKOUT_THRESHOLD` consecutive failures for one
 * (tenant, email), logins for it answer 429 for a minute, then twice as long after each
 * further lock, up to an hour; a successful login resets it. The key is what the client sent,
 * not the account, so the answer is the same whether the tenant and the account exist or not.
 * Every password login goes through it, the OAuth server's login page included.
 */
@Injectable()
export class LoginLockoutPolicy implements LoginPolicy {
  readonly name = 'lockout';
  /** First: a locked login does no other work, and no password is checked. */
  readonly order = -100;

  constructor(
    private readonly store: LockoutStore,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async beforePasswordCheck(attempt: LoginAttempt): Promise<void> {
    const remaining = await this.store.remainingMs(lockoutKey(attempt));
    if (remaining <= 0) return;
    this.audit.record({
      action: 'auth.login',
      outcome: 'failure',
      tenantId: attempt.tenant?.id ?? null,
      actor: { type: 'user', id: attempt.user?.id ?? null },
      target: { type: 'user', id: attempt.user?.id ?? null },
      metadata: { reason: 'locked' },
    });
    throw rateLimitedError(remaining / 1000, { detail: LOCKED_DETAIL });
  }

  async onFailure(attempt: LoginAttempt): Promise<void> {
    const outcome = await this.store.recordFailure(
      lockoutKey(attempt),
      this.config.security.lockoutThreshold,
    );
    if (!outcome.locked) return;
    this.audit.record({
      action: 'auth.account.locked',
      outcome: 'failure',
      tenantId: attempt.tenant?.id ?? null,
      actor: { type: 'user', id: attempt.user?.id ?? null },
      target: { type: 'user', id: attempt.user?.id ?? null },
      metadata: {
        email: normalise(attempt.input.email),
        lockSeconds: outcome.seconds,
        lockCount: outcome.level,
        threshold: this.config.security.lockoutThreshold,
      },
    });
  }

  async onSuccess(login: VerifiedLogin): Promise<void> {
    await this.store.reset(lockoutKey(login));
  }
}

function normalise(value: string): string {
  return value.trim().toLowerCase();
}

/** The (tenant slug, email) as sent, hashed: it exists whether or not the account does. */
export function lockoutKey(attempt: Pick<LoginAttempt, 'input'>): string {
  return sha256Hex(`${normalise(attempt.input.tenant)}\n${normalise(attempt.input.email)}`);
}
