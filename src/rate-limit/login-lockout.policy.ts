import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { LoginAttempt, LoginPolicy, VerifiedLogin } from '../auth/login/login-policy';
import { AppConfig } from '../config/app-config';
import { sha256Hex } from '../common/crypto/tokens';
import { AccountLockNotices } from '../account/account-lock-notices';
import type { Tenant } from '../tenants/entities/tenant.entity';
import type { User } from '../users/entities/user.entity';
import { LockoutStore } from './lockout.store';
import { rateLimitedError } from '../common/errors/rate-limited.error';

const LOCKED_DETAIL = 'Too many failed sign-in attempts. Try again later.';

/**
 * How many times `LOCKOUT_THRESHOLD` failures from all clients together lock a (tenant, email)
 * for everyone: high enough that one client cannot reach it alone before its own lock, low
 * enough that a spread guessing campaign is still stopped (OWASP: per-client counters under a
 * higher per-account one).
 */
export const ACCOUNT_THRESHOLD_FACTOR = 5;

type LockScope = 'client' | 'account';

/**
 * Brute-force lockout (SPEC §13): after `LOCKOUT_THRESHOLD` consecutive failures for one
 * (tenant, email) from one client address, logins for it from that address answer 429 for a
 * minute, then twice as long after each further lock, up to an hour; a successful login resets
 * it. Failures from every address also count towards a lock of the (tenant, email) for all,
 * at `ACCOUNT_THRESHOLD_FACTOR` times the threshold, which mails the holder once per lock: so
 * a stranger cannot keep an owner out by failing a few times (review F14). Keys are what the
 * client sent, not the account, so answers are the same whether the tenant and account exist.
 * Every password login goes through it (the OAuth login page too), and so do the
 * current-password checks of password change and MFA disable (review F9).
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
    private readonly notices: AccountLockNotices,
  ) {}

  async beforePasswordCheck(attempt: LoginAttempt): Promise<void> {
    const remaining = Math.max(
      await this.store.remainingMs(clientLockoutKey(attempt)),
      await this.store.remainingMs(lockoutKey(attempt)),
    );
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
    const threshold = this.config.security.lockoutThreshold;
    await this.count(attempt, 'client', clientLockoutKey(attempt), threshold);
    await this.count(attempt, 'account', lockoutKey(attempt), threshold * ACCOUNT_THRESHOLD_FACTOR);
  }

  /** A wrong current password (password change, MFA disable) is a failed login like any. */
  beforeCurrentPasswordCheck(attempt: LoginAttempt): Promise<void> {
    return this.beforePasswordCheck(attempt);
  }

  onWrongCurrentPassword(attempt: LoginAttempt): Promise<void> {
    return this.onFailure(attempt);
  }

  async onSuccess(login: VerifiedLogin): Promise<void> {
    await this.store.reset(clientLockoutKey(login));
    await this.store.reset(lockoutKey(login));
  }

  /**
   * A password set through a mailed link proves the mailbox: the account lock no longer
   * protects anything the holder has not just replaced, so the holder is let back in.
   */
  async afterPasswordReset(account: { tenant: Tenant; user: User }): Promise<void> {
    await this.store.reset(
      lockoutKey({ input: { tenant: account.tenant.slug, email: account.user.email } }),
    );
  }

  private async count(
    attempt: LoginAttempt,
    scope: LockScope,
    key: string,
    threshold: number,
  ): Promise<void> {
    const outcome = await this.store.recordFailure(key, threshold);
    if (!outcome.locked) return;
    this.audit.record({
      action: 'auth.account.locked',
      outcome: 'failure',
      tenantId: attempt.tenant?.id ?? null,
      actor: { type: 'user', id: attempt.user?.id ?? null },
      target: { type: 'user', id: attempt.user?.id ?? null },
      metadata: {
        email: normalise(attempt.input.email),
        scope,
        lockSeconds: outcome.seconds,
        lockCount: outcome.level,
        threshold,
      },
    });
    // Once per lock (the store answers `locked` to one failure only), to the holder only.
    if (scope === 'account' && attempt.tenant && attempt.user) {
      this.notices.accountLocked(attempt.user, attempt.tenant, outcome.seconds);
    }
  }
}

function normalise(value: string): string {
  return value.trim().toLowerCase();
}

type KeyInput = { input: Pick<LoginAttempt['input'], 'tenant' | 'email'> };

/** The (tenant slug, email) as sent, hashed: it exists whether or not the account does. */
export function lockoutKey(attempt: KeyInput): string {
  return sha256Hex(`${normalise(attempt.input.tenant)}\n${normalise(attempt.input.email)}`);
}

/** The same, from one client address (TRUST_PROXY decides which); JSON keeps parts apart. */
export function clientLockoutKey(attempt: KeyInput & Pick<LoginAttempt, 'client'>): string {
  const { tenant, email } = attempt.input;
  return sha256Hex(JSON.stringify([normalise(tenant), normalise(email), attempt.client.ip ?? '']));
}
