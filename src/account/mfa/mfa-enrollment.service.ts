import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import { newId } from '../../common/crypto/ids';
import { AuditService } from '../../audit/audit.service';
import type { Principal } from '../../auth/principal/principal';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { CredentialChanges } from '../../auth/credential-changes';
import { SecretBox } from '../../common/crypto/secret-box';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { ClientInfo } from '../../common/http/request-context';
import {
  InjectTenantRepository,
  TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { TransactionRunner } from '../../database/transaction-runner';
import { User } from '../../users/entities/user.entity';
import { requireAccountHolder } from '../account-holder';
import type { RecoveryCodesDto, TotpEnrollmentDto } from '../dto/mfa.dto';
import { MfaRecoveryCode } from '../entities/mfa-recovery-code.entity';
import { UserMfaState } from '../entities/user-mfa-state.entity';
import { CurrentPasswordCheck } from '../password/current-password-check';
import { ActionTokenService } from '../tokens/action-token.service';
import {
  hashRecoveryCode,
  newRecoveryCode,
  normaliseRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes';
import { invalidCode, SecondFactorService, TOTP_SECRET_CONTEXT } from './second-factor.service';
import { newTotpSecret, totpUri } from './totp';
import { loadOnce } from '../../common/load-once';

/** The QR code library loads on the first enrollment, not at boot. */
const loadQrCode = loadOnce(() => import('qrcode'));

/**
 * Turning TOTP on and off. Enrolment stores a new secret (sealed) that stays inactive until a
 * code from the app proves it was scanned; confirmation turns MFA on and hands out the
 * recovery codes, once. Turning it off takes the password and a code.
 */
@Injectable()
export class MfaEnrollmentService {
  constructor(
    private readonly box: SecretBox,
    private readonly currentPassword: CurrentPasswordCheck,
    private readonly secondFactor: SecondFactorService,
    private readonly tokens: ActionTokenService,
    private readonly transactions: TransactionRunner,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
    private readonly credentials: CredentialChanges,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    @InjectTenantRepository(UserMfaState)
    private readonly states: TenantScopedRepository<UserMfaState>,
    @InjectTenantRepository(MfaRecoveryCode)
    private readonly recoveryCodes: TenantScopedRepository<MfaRecoveryCode>,
  ) {}

  async enroll(auth: Principal): Promise<TotpEnrollmentDto> {
    const user = await this.accountHolder(auth);
    if (user.mfaEnabled) throw alreadyOn();
    const secret = await newTotpSecret();
    await this.users.update(
      { id: user.id, mfaEnabled: false },
      { mfaSecret: this.box.seal(secret, TOTP_SECRET_CONTEXT), updatedAt: new Date() },
    );
    const otpauthUri = await totpUri(secret, auth.tenant.name, user.email);
    return { secret, otpauthUri, qrCodeDataUrl: await (await loadQrCode()).toDataURL(otpauthUri) };
  }

  async confirm(auth: Principal, code: string): Promise<RecoveryCodesDto> {
    const user = await this.accountHolder(auth);
    if (user.mfaEnabled) throw alreadyOn();
    if (!user.mfaSecret) {
      throw new AppError(409, ErrorCode.Conflict, {
        detail: 'Start with POST /v1/auth/mfa/totp/enroll.',
      });
    }
    const step = await this.secondFactor.verifyPending(user.mfaSecret, code);
    if (step === null) throw invalidCode();

    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    const now = new Date();
    const enabled = await this.transactions.run(async (manager) => {
      // Only the secret that was checked, and only once: a concurrent enroll or confirm loses.
      const switched = await this.users
        .in(manager)
        .update(
          { id: user.id, mfaEnabled: false, mfaSecret: user.mfaSecret ?? '' },
          { mfaEnabled: true, updatedAt: now },
        );
      if (switched !== 1) return false;
      await this.forgetFactors(manager, user.id);
      await this.states.in(manager).insert({
        userId: user.id,
        tenantId: user.tenantId,
        // The code just used is spent: it cannot also sign in.
        lastTimeStep: step,
        failedAttempts: 0,
        blockedUntil: null,
        enabledAt: now,
        updatedAt: now,
      });
      await this.recoveryCodes.in(manager).insert(
        recoveryCodes.map((recoveryCode) => ({
          id: newId(),
          tenantId: user.tenantId,
          userId: user.id,
          codeHash: hashRecoveryCode(user.id, normaliseRecoveryCode(recoveryCode) ?? ''),
          createdAt: now,
          usedAt: null,
        })),
      );
      return true;
    });
    if (!enabled) throw alreadyOn();
    this.bus.publish('user', user.id);
    await this.credentials.announce({
      tenantId: user.tenantId,
      userId: user.id,
      reason: 'mfa_changed',
    });
    this.audit.record({
      action: 'auth.mfa.enrolled',
      outcome: 'success',
      tenantId: user.tenantId,
      target: { type: 'user', id: user.id },
      metadata: { factor: 'totp' },
    });
    return { recoveryCodes };
  }

  async disable(
    auth: Principal,
    password: string,
    code: string,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.accountHolder(auth);
    if (!user.mfaEnabled) {
      throw new AppError(409, ErrorCode.Conflict, { detail: 'MFA is not on.' });
    }
    // The password first, so that a wrong one does not spend a code or count against codes.
    if (!(await this.currentPassword.verify(user, password, client))) {
      this.recordDisableFailure(user, 'invalid_current_password');
      throw AppError.badRequest(ErrorCode.InvalidCurrentPassword, 'The password is not correct.');
    }
    try {
      await this.secondFactor.verify(user, code);
    } catch (error) {
      this.recordDisableFailure(user, 'invalid_code');
      throw error;
    }
    await this.transactions.run(async (manager) => {
      await this.users
        .in(manager)
        .update({ id: user.id }, { mfaEnabled: false, mfaSecret: null, updatedAt: new Date() });
      await this.forgetFactors(manager, user.id);
      await this.tokens.spendAll(user.id, ['mfa_challenge'], manager);
    });
    this.bus.publish('user', user.id);
    await this.credentials.announce({
      tenantId: user.tenantId,
      userId: user.id,
      reason: 'mfa_changed',
    });
    this.audit.record({
      action: 'auth.mfa.disabled',
      outcome: 'success',
      tenantId: user.tenantId,
      target: { type: 'user', id: user.id },
      metadata: { factor: 'totp' },
    });
  }

  /** The user's TOTP state and recovery codes, gone (in the caller's transaction). */
  private async forgetFactors(manager: EntityManager, userId: string): Promise<void> {
    await this.states.in(manager).delete({ userId });
    await this.recoveryCodes.in(manager).delete({ userId });
  }

  private async accountHolder(auth: Principal): Promise<User> {
    const { userId } = requireAccountHolder(auth);
    const user = await this.users.findOne({ id: userId, deletedAt: IsNull() });
    if (!user) throw AppError.invalidToken();
    return user;
  }

  private recordDisableFailure(user: User, reason: string): void {
    this.audit.record({
      action: 'auth.mfa.disabled',
      outcome: 'failure',
      tenantId: user.tenantId,
      target: { type: 'user', id: user.id },
      metadata: { reason },
    });
  }
}

function alreadyOn(): AppError {
  return new AppError(409, ErrorCode.Conflict, {
    detail: 'MFA is already on. Turn it off first to enrol a new authenticator.',
  });
}
