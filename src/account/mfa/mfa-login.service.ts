import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { LoginDto } from '../../auth/dto/auth.dto';
import { LoginPolicies } from '../../auth/login/login-policies';
import type { FederatedLogin, LoginPolicy, VerifiedLogin } from '../../auth/login/login-policy';
import {
  SessionService,
  type SessionMethod,
  type TokenPair,
} from '../../auth/tokens/session.service';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { ClientInfo } from '../../common/http/request-context';
import type { Tenant } from '../../tenants/entities/tenant.entity';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import { User } from '../../users/entities/user.entity';
import type { ActionToken } from '../entities/action-token.entity';
import { ActionTokenService } from '../tokens/action-token.service';
import { SecondFactorService, type SecondFactor } from './second-factor.service';

/** Wrong codes one `mfaToken` may take before it is spent. */
export const MFA_CHALLENGE_MAX_ATTEMPTS = 5;

function invalidMfaToken(): AppError {
  return AppError.invalidToken('The MFA token is not valid, was already used, or has expired.');
}

/**
 * The second step of a password login for users with MFA on. As a login policy it runs once
 * the password proved right: with `mfaCode` in the login body the code is checked there and
 * then; without it the login answers 401 `mfa_required` with an `mfaToken` (single use,
 * 5 minutes, 5 wrong codes at most) that `POST /v1/auth/mfa/verify` trades, with a code, for
 * the session. The OAuth server's login page relies on the same two behaviours.
 */
@Injectable()
export class MfaLoginService implements LoginPolicy {
  readonly name = 'mfa';
  /**
   * Last: the challenge goes out only once every other rule has accepted the login, because
   * `POST /v1/auth/mfa/verify` finishes it without running them again.
   */
  readonly order = 1000;

  constructor(
    private readonly secondFactor: SecondFactorService,
    private readonly tokens: ActionTokenService,
    private readonly sessions: SessionService,
    private readonly tenants: TenantDirectory,
    private readonly policies: LoginPolicies,
    private readonly audit: AuditService,
    private readonly scope: TenantScope,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
  ) {}

  async afterPasswordCheck(login: VerifiedLogin): Promise<SessionMethod | void> {
    const { user, tenant, input } = login;
    if (!user.mfaEnabled) return;
    if (input.mfaCode !== undefined) {
      await this.checkCode(user, input.mfaCode);
      return 'mfa';
    }
    await this.challenge(user, tenant);
  }

  /**
   * A social or SSO login is a first factor like a password: an MFA user still owes the second
   * one, or whoever controls the provider, or may configure the connection, would be enough
   * (review F2). The one exception: an owner marked the connection `idpEnforcesMfa` and the
   * IdP's signed answer itself shows a second factor.
   */
  async afterFederatedLogin(login: FederatedLogin): Promise<void> {
    if (!login.user.mfaEnabled) return;
    if (login.method === 'sso' && login.idpMfa) return;
    await this.challenge(login.user, login.tenant, login.ssoConnectionId);
  }

  /** Answers 401 `mfa_required` with a fresh single-use `mfaToken` for `POST /v1/auth/mfa/verify`. */
  private async challenge(
    user: User,
    tenant: Tenant,
    ssoConnectionId: string | null = null,
  ): Promise<never> {
    const { token } = await this.tokens.issue(user, 'mfa_challenge', { ssoConnectionId });
    this.audit.record({
      action: 'auth.login',
      outcome: 'failure',
      tenantId: tenant.id,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
      metadata: { reason: 'mfa_required' },
    });
    throw new AppError(401, ErrorCode.MfaRequired, {
      detail:
        'Enter a code from your authenticator app, or a recovery code, with POST /v1/auth/mfa/verify.',
      extensions: { mfaToken: token },
    });
  }

  /** Completes a login that answered `mfa_required`. */
  async verify(mfaToken: string, code: string, client: ClientInfo): Promise<TokenPair> {
    const row = await this.tokens.findLive(mfaToken, ['mfa_challenge']);
    if (!row) throw invalidMfaToken();
    // Nobody is signed in yet: the challenge's tenant is the login's.
    return this.scope.run(row.tenantId, () => this.redeem(row, code, client));
  }

  private async redeem(row: ActionToken, code: string, client: ClientInfo): Promise<TokenPair> {
    const user = await this.users.findOne({ id: row.userId, deletedAt: IsNull() });
    const tenant = user ? await this.tenants.findById(user.tenantId) : null;
    if (
      !user ||
      !tenant ||
      user.status !== 'active' ||
      tenant.status !== 'active' ||
      !user.mfaEnabled ||
      user.email !== row.email
    ) {
      throw invalidMfaToken();
    }
    // The attempt is counted before the code is checked, so parallel guesses count one each.
    if (!(await this.tokens.reserveAttempt(row, MFA_CHALLENGE_MAX_ATTEMPTS))) {
      throw invalidMfaToken();
    }
    let factor: SecondFactor;
    try {
      factor = await this.checkCode(user, code);
    } catch (error) {
      await this.tokens.spendWhenExhausted(row, MFA_CHALLENGE_MAX_ATTEMPTS);
      throw error;
    }
    if (!(await this.tokens.spend(row))) throw invalidMfaToken();
    return this.finishLogin(user, tenant, factor, client, row.ssoConnectionId);
  }

  /** Checks a code for a login, recording a refused one. */
  private async checkCode(user: User, code: string): Promise<SecondFactor> {
    try {
      return await this.secondFactor.verify(user, code);
    } catch (error) {
      this.audit.record({
        action: 'auth.login',
        outcome: 'failure',
        tenantId: user.tenantId,
        actor: { type: 'user', id: user.id },
        target: { type: 'user', id: user.id },
        metadata: {
          reason:
            error instanceof AppError && error.code === ErrorCode.RateLimited
              ? 'mfa_blocked'
              : 'invalid_mfa_code',
        },
      });
      throw error;
    }
  }

  /** What `AuthService.authenticate` does after its policies, for the deferred second step. */
  private async finishLogin(
    user: User,
    tenant: Tenant,
    factor: SecondFactor,
    client: ClientInfo,
    ssoConnectionId: string | null,
  ): Promise<TokenPair> {
    await this.users.update({ id: user.id }, { lastLoginAt: new Date() });
    this.audit.record({
      action: 'auth.login',
      outcome: 'success',
      tenantId: tenant.id,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
      metadata: { method: 'mfa', factor },
    });
    // Other policies (lockout) learn that this login succeeded. The password was checked in
    // the first step and is not kept: the input carries none.
    const input = Object.assign(new LoginDto(), {
      tenant: tenant.slug,
      email: user.email,
      password: '',
    });
    await this.policies.onSuccess({ input, client, tenant, user });
    // A second factor after an SSO login: the session still came through the connection.
    return (await this.sessions.open(user, 'mfa', client, { ssoConnectionId })).pair;
  }
}
