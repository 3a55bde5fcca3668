import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { type LoginOutcome, MetricsService } from '../metrics/metrics.service';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import type { ClientInfo } from '../common/http/request-context';
import { TenantScope } from '../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { TransactionRunner } from '../database/transaction-runner';
import type { Tenant } from '../tenants/entities/tenant.entity';
import { TenantDirectory } from '../tenants/tenant-directory.service';
import { UserDto } from '../users/dto/user.dto';
import { User } from '../users/entities/user.entity';
import { UserAccountsService } from '../users/user-accounts.service';
import type { LoginDto, MeResponseDto, RegisterDto, RegisterResponseDto } from './dto/auth.dto';
import { LoginPolicies } from './login/login-policies';
import { meView } from './me-view';
import { requireAccountHolder } from '../account/account-holder';
import type { LoginAttempt, LoginFailureReason, VerifiedLogin } from './login/login-policy';
import { PasswordHasher } from './passwords/password-hasher.service';
import type { Principal } from './principal/principal';
import { PrincipalService } from './principal/principal.service';
import { type SessionMethod, SessionService, type TokenPair } from './tokens/session.service';
import { CredentialChanges } from './credential-changes';

function loginOutcomeOf(error: unknown): LoginOutcome {
  if (!(error instanceof AppError)) return 'failure';
  if (error.code === ErrorCode.MfaRequired) return 'mfa_required';
  if (error.code === ErrorCode.RateLimited) return 'locked';
  return 'failure';
}

const INVALID_CREDENTIALS_DETAIL = 'The tenant, email or password is not correct.';

/** Local accounts: registration, password login, and the caller's own view of itself. */
@Injectable()
export class AuthService {
  constructor(
    private readonly tenants: TenantDirectory,
    private readonly accounts: UserAccountsService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly principals: PrincipalService,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly policies: LoginPolicies,
    private readonly metrics: MetricsService,
    private readonly credentials: CredentialChanges,
    private readonly scope: TenantScope,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
  ) {}

  async register(input: RegisterDto, client: ClientInfo): Promise<RegisterResponseDto> {
    const tenant = await this.tenants.findBySlug(input.tenant);
    // Unknown, suspended and closed tenants answer alike: nothing to learn about which exist.
    if (!tenant || tenant.isRoot || tenant.status !== 'active' || !tenant.settings.allowSignup) {
      throw new AppError(403, ErrorCode.SignupDisabled, {
        detail: 'Sign-up is not open for this tenant.',
      });
    }
    const passwordHash = await this.accounts.hashPassword(input.password, input.email);
    const user = await this.scope.run(tenant.id, () =>
      this.transactions.run((manager) =>
        this.accounts.create(
          manager,
          { email: input.email, name: input.name, roleNames: ['member'] },
          passwordHash,
        ),
      ),
    );
    await this.accounts.announceCreated(user, 'register');
    const pair = await this.sessions.start(user, 'password', client);
    this.audit.record({
      action: 'auth.register',
      outcome: 'success',
      tenantId: tenant.id,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
    });
    return { user: UserDto.from(user, user.roles ?? []), ...pair };
  }

  /**
   * Every failure answers the same 401 after the same work: a missing tenant or account is
   * checked against a dummy hash, so neither the body nor the timing tells which part was wrong.
   * Feature modules add their rules (lockout, MFA, email verification, SSO) as login policies.
   */
  async login(input: LoginDto, client: ClientInfo): Promise<TokenPair> {
    try {
      const { user, method } = await this.authenticate(input, client);
      const pair = await this.sessions.start(user, method, client);
      this.metrics.logins.inc({ outcome: 'success' });
      return pair;
    } catch (error) {
      this.metrics.logins.inc({ outcome: loginOutcomeOf(error) });
      throw error;
    }
  }

  /**
   * Proves who is logging in with a password, through every login policy, without opening a
   * session: password login and the OAuth server's login page share it.
   */
  async authenticate(
    input: LoginDto,
    client: ClientInfo,
  ): Promise<{ user: User; tenant: Tenant; method: SessionMethod }> {
    const tenant = await this.tenants.findBySlug(input.tenant);
    // Nobody is signed in yet: the tenant named is the login's.
    return tenant
      ? this.scope.run(tenant.id, () => this.checkPassword(input, client, tenant))
      : this.checkPassword(input, client, null);
  }

  private async checkPassword(
    input: LoginDto,
    client: ClientInfo,
    tenant: Tenant | null,
  ): Promise<{ user: User; tenant: Tenant; method: SessionMethod }> {
    const user = tenant ? await this.accounts.findForLogin(input.email) : null;
    const attempt: LoginAttempt = { input, client, tenant, user };
    await this.policies.beforePasswordCheck(attempt);

    const passwordOk = user?.passwordHash
      ? await this.hasher.verify(user.passwordHash, input.password)
      : (await this.hasher.verifyDummy(input.password), false);
    const reason: LoginFailureReason | null = !tenant
      ? 'unknown_tenant'
      : !user
        ? 'unknown_user'
        : !passwordOk
          ? 'bad_password'
          : tenant.status !== 'active'
            ? 'tenant_suspended'
            : user.status !== 'active'
              ? 'user_disabled'
              : null;
    if (reason !== null || !tenant || !user) {
      this.audit.record({
        action: 'auth.login',
        outcome: 'failure',
        tenantId: tenant?.id ?? null,
        actor: { type: 'user', id: user?.id ?? null },
        target: { type: 'user', id: user?.id ?? null },
        metadata: { reason: reason ?? 'unknown' },
      });
      await this.policies.onFailure(attempt, reason ?? 'unknown_user');
      throw new AppError(401, ErrorCode.InvalidCredentials, { detail: INVALID_CREDENTIALS_DETAIL });
    }

    const verified: VerifiedLogin = { ...attempt, tenant, user };
    const method = await this.policies.afterPasswordCheck(verified);
    if (this.hasher.needsRehash(user.passwordHash ?? '')) {
      // The parameters changed since this hash was made; upgrade it while we hold the password.
      await this.users.update(
        { id: user.id },
        { passwordHash: await this.hasher.hash(input.password) },
      );
    }
    await this.users.update({ id: user.id }, { lastLoginAt: new Date() });
    this.audit.record({
      action: 'auth.login',
      outcome: 'success',
      tenantId: tenant.id,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
      metadata: { method },
    });
    await this.policies.onSuccess(verified);
    return { user, tenant, method };
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    return this.sessions.rotate(refreshToken);
  }

  /** Ends the session of a refresh token. Unknown tokens are ignored: logout is idempotent. */
  async logout(refreshToken: string): Promise<void> {
    const session = await this.sessions.findByRefreshToken(refreshToken);
    if (!session) return;
    if (session.revokedAt === null) {
      await this.scope.run(session.tenantId, () => this.sessions.revoke(session.id, 'logout'));
    }
    this.audit.record({
      action: 'auth.logout',
      outcome: 'success',
      tenantId: session.tenantId,
      actor: { type: 'user', id: session.userId },
      target: { type: 'session', id: session.id },
    });
  }

  async logoutAll(auth: Principal): Promise<void> {
    const { userId } = requireAccountHolder(auth);
    const count = await this.sessions.revokeAllOfUser(userId, 'logout_all');
    await this.credentials.announce({ tenantId: auth.tenant.id, userId, reason: 'logout_all' });
    this.audit.record({
      action: 'auth.logout',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'user', id: userId },
      metadata: { scope: 'all', sessions: count },
    });
  }

  async me(auth: Principal): Promise<MeResponseDto> {
    const userId = this.requireUser(auth);
    const context = await this.principals.userContext(userId);
    if (!context) throw AppError.invalidToken();
    return meView(auth, context);
  }

  private requireUser(auth: Principal): string {
    if (auth.type !== 'user' || !auth.userId)
      throw AppError.forbidden('Only a signed-in user can do this.');
    return auth.userId;
  }
}
