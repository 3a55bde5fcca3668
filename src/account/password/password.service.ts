import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { LoginPolicies } from '../../auth/login/login-policies';
import type { Principal } from '../../auth/principal/principal';
import { SessionService } from '../../auth/tokens/session.service';
import { CredentialChanges } from '../../auth/credential-changes';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { ClientInfo } from '../../common/http/request-context';
import { TransactionRunner } from '../../database/transaction-runner';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import { User } from '../../users/entities/user.entity';
import { UserAccountsService } from '../../users/user-accounts.service';
import { requireAccountHolder } from '../account-holder';
import type { ActionToken } from '../entities/action-token.entity';
import { ActionTokenService } from '../tokens/action-token.service';
import { CurrentPasswordCheck } from './current-password-check';

const SET_PASSWORD_PURPOSES = ['password_reset', 'invite'] as const;

export function invalidLink(): AppError {
  return new AppError(400, ErrorCode.InvalidToken, {
    detail: 'The link is not valid, was already used, or has expired.',
  });
}

/** Setting a password: with a mailed token (reset, invite), or knowing the current one. */
@Injectable()
export class PasswordService {
  constructor(
    private readonly accounts: UserAccountsService,
    private readonly currentPassword: CurrentPasswordCheck,
    private readonly policies: LoginPolicies,
    private readonly tokens: ActionTokenService,
    private readonly sessions: SessionService,
    private readonly tenants: TenantDirectory,
    private readonly transactions: TransactionRunner,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
    private readonly credentials: CredentialChanges,
    private readonly scope: TenantScope,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
  ) {}

  /**
   * Redeems a reset or invite token. Whoever holds it has proved control of the mailbox, so
   * the email counts as verified; every session ends, since a reset often follows a theft.
   * The new password is checked and hashed before the token is spent, so a refused password
   * leaves the link usable.
   */
  async reset(token: string, newPassword: string): Promise<void> {
    const row = await this.tokens.findLive(token, SET_PASSWORD_PURPOSES);
    if (!row) throw invalidLink();
    // Nobody is signed in: the link's tenant is the one to work in.
    await this.scope.run(row.tenantId, () => this.redeem(row, newPassword));
  }

  private async redeem(row: ActionToken, newPassword: string): Promise<void> {
    const user = await this.users.findOne({ id: row.userId, deletedAt: IsNull() });
    const tenant = user ? await this.tenants.findById(user.tenantId) : null;
    if (!user || !tenant || user.status !== 'active' || tenant.status !== 'active') {
      throw invalidLink();
    }
    if (user.email !== row.email) throw invalidLink();
    const passwordHash = await this.accounts.hashPassword(newPassword, user.email, 'newPassword');

    const spent = await this.transactions.run(async (manager) => {
      if (!(await this.tokens.spend(row, manager))) return false;
      await this.users
        .in(manager)
        .update({ id: user.id }, { passwordHash, emailVerified: true, updatedAt: new Date() });
      await this.tokens.spendAll(user.id, SET_PASSWORD_PURPOSES, manager);
      return true;
    });
    if (!spent) throw invalidLink();
    this.bus.publish('user', user.id);
    const revoked = await this.sessions.revokeAllOfUser(user.id, 'password_reset');
    await this.credentials.announce({
      tenantId: user.tenantId,
      userId: user.id,
      reason: 'password_reset',
    });
    await this.policies.afterPasswordReset({ tenant, user });
    this.audit.record({
      action: 'auth.password.reset',
      outcome: 'success',
      tenantId: user.tenantId,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
      metadata: { via: row.purpose, revokedSessions: revoked },
    });
  }

  /** Changes the password of the signed-in user; every other session of theirs ends. */
  async change(
    auth: Principal,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    const { userId, sessionId } = requireAccountHolder(auth);
    const user = await this.users.findOne({ id: userId, deletedAt: IsNull() });
    if (!user) throw AppError.invalidToken();
    if (!(await this.currentPassword.verify(user, currentPassword, client))) {
      this.audit.record({
        action: 'auth.password.change',
        outcome: 'failure',
        tenantId: user.tenantId,
        target: { type: 'user', id: user.id },
        metadata: { reason: 'invalid_current_password' },
      });
      throw AppError.badRequest(
        ErrorCode.InvalidCurrentPassword,
        'The current password is not correct.',
      );
    }
    const passwordHash = await this.accounts.hashPassword(newPassword, user.email, 'newPassword');
    await this.users.update({ id: user.id }, { passwordHash, updatedAt: new Date() });
    // A reset link mailed before the change must not undo it.
    await this.tokens.spendAll(user.id, SET_PASSWORD_PURPOSES);
    const revoked = await this.sessions.revokeAllOfUser(
      user.id,
      'password_change',
      sessionId ?? undefined,
    );
    await this.credentials.announce({
      tenantId: user.tenantId,
      userId: user.id,
      reason: 'password_change',
    });
    this.audit.record({
      action: 'auth.password.change',
      outcome: 'success',
      tenantId: user.tenantId,
      target: { type: 'user', id: user.id },
      metadata: { revokedSessions: revoked },
    });
  }
}
