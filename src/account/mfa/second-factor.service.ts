import { Injectable } from '@nestjs/common';
import { IsNull, LessThan, LessThanOrEqual, MoreThanOrEqual, Or } from 'typeorm';
import { SecretBox } from '../../common/crypto/secret-box';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { MfaRecoveryCode } from '../entities/mfa-recovery-code.entity';
import { UserMfaState } from '../entities/user-mfa-state.entity';
import { hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes';
import { looksLikeTotp, verifyTotp } from './totp';

export const TOTP_SECRET_CONTEXT = 'totp-secret';
/** Wrong codes in a row before codes are refused for a while. */
export const MFA_MAX_FAILURES = 5;
export const MFA_BLOCK_MS = 5 * 60_000;

export type SecondFactor = 'totp' | 'recovery_code';

export function invalidCode(): AppError {
  return new AppError(401, ErrorCode.InvalidCredentials, {
    detail: 'The code is not valid.',
  });
}

/**
 * Checks a second factor: a TOTP code (accepted once: its time step is claimed by one
 * conditional UPDATE, so neither a replay nor a concurrent twin gets through) or an unused
 * recovery code (spent the same way). Six digits are guessable, so five wrong codes in a row
 * refuse every code for five minutes — 429, whoever asks; a right code resets the count.
 * Each check first reserves an attempt in one conditional UPDATE, so N parallel guesses count
 * N and no more than five are ever checked per block (review F14).
 */
@Injectable()
export class SecondFactorService {
  constructor(
    private readonly box: SecretBox,
    private readonly scope: TenantScope,
    @InjectTenantRepository(UserMfaState)
    private readonly states: TenantScopedRepository<UserMfaState>,
    @InjectTenantRepository(MfaRecoveryCode)
    private readonly recoveryCodes: TenantScopedRepository<MfaRecoveryCode>,
  ) {}

  /** Answers which factor matched, or throws 401 `invalid_credentials` / 429 `rate_limited`. */
  verify(
    user: { id: string; tenantId: string; mfaSecret: string | null },
    code: string,
  ): Promise<SecondFactor> {
    // The user's own tenant, whichever scope the caller is in (a login has entered it already).
    return this.scope.run(user.tenantId, () => this.verifyInScope(user, code));
  }

  private async verifyInScope(
    user: { id: string; mfaSecret: string | null },
    code: string,
  ): Promise<SecondFactor> {
    const state = await this.states.findOne({ userId: user.id });
    if (!state || !user.mfaSecret) throw invalidCode();
    const now = new Date();
    if (!(await this.reserveAttempt(user.id, now))) throw await this.blocked(user.id, now);
    const factor = await this.check(user.id, user.mfaSecret, state, code, now);
    if (factor) {
      await this.states.update(
        { userId: user.id },
        { failedAttempts: 0, blockedUntil: null, updatedAt: now },
      );
      return factor;
    }
    await this.blockWhenSpent(user.id, now);
    throw invalidCode();
  }

  /** The time step of a valid code for a secret not yet enabled (enrolment), or null. */
  verifyPending(sealedSecret: string, code: string): Promise<number | null> {
    return verifyTotp(this.box.open(sealedSecret, TOTP_SECRET_CONTEXT), code, null);
  }

  private async check(
    userId: string,
    sealedSecret: string,
    state: UserMfaState,
    code: string,
    now: Date,
  ): Promise<SecondFactor | null> {
    if (looksLikeTotp(code)) {
      const secret = this.box.open(sealedSecret, TOTP_SECRET_CONTEXT);
      const step = await verifyTotp(secret, code, state.lastTimeStep);
      if (step === null) return null;
      const claimed = await this.states.update(
        { userId, lastTimeStep: Or(IsNull(), LessThan(step)) },
        { lastTimeStep: step, updatedAt: now },
      );
      return claimed === 1 ? 'totp' : null;
    }
    const normalised = normaliseRecoveryCode(code);
    if (!normalised) return null;
    const spent = await this.recoveryCodes.update(
      { userId, codeHash: hashRecoveryCode(userId, normalised), usedAt: IsNull() },
      { usedAt: now },
    );
    return spent === 1 ? 'recovery_code' : null;
  }

  /**
   * Counts the attempt before the code is checked: one UPDATE that succeeds only while the
   * user is not blocked and has attempts left, so concurrent guesses cannot all pass a check
   * made before any of them was counted. A right code gives the attempt back (count reset).
   */
  private async reserveAttempt(userId: string, now: Date): Promise<boolean> {
    const reserved = await this.states.update(
      {
        userId,
        failedAttempts: LessThan(MFA_MAX_FAILURES),
        blockedUntil: Or(IsNull(), LessThanOrEqual(now)),
      },
      { failedAttempts: () => 'failed_attempts + 1', updatedAt: now },
    );
    return reserved === 1;
  }

  /** Once every attempt is spent, blocks codes for a while and starts a new count after it. */
  private async blockWhenSpent(userId: string, now: Date): Promise<void> {
    await this.states.update(
      {
        userId,
        failedAttempts: MoreThanOrEqual(MFA_MAX_FAILURES),
        blockedUntil: Or(IsNull(), LessThanOrEqual(now)),
      },
      { failedAttempts: 0, blockedUntil: new Date(now.getTime() + MFA_BLOCK_MS), updatedAt: now },
    );
  }

  /**
   * The refusal of an attempt that could not be reserved. Attempts still being checked may
   * hold the last ones: the block starts now rather than wait for them.
   */
  private async blocked(userId: string, now: Date): Promise<AppError> {
    await this.blockWhenSpent(userId, now);
    const state = await this.states.findOne({ userId });
    const until = state?.blockedUntil && state.blockedUntil > now ? state.blockedUntil : now;
    return tooManyFailures(until, now);
  }
}

function tooManyFailures(until: Date, now: Date): AppError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new AppError(429, ErrorCode.RateLimited, {
    detail: 'Too many wrong codes. Try again later.',
    headers: { 'Retry-After': String(seconds) },
  });
}
