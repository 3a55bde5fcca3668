import { Injectable } from '@nestjs/common';
import { IsNull, MoreThan } from 'typeorm';
import { ActionToken } from '../../account/entities/action-token.entity';
import { newId } from '../../common/crypto/ids';
import { AuditService } from '../../audit/audit.service';
import { randomSecret, sha256Hex } from '../../common/crypto/tokens';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { ClientInfo } from '../../common/http/request-context';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import { User } from '../../users/entities/user.entity';
import { OneTimeCode } from '../entities/one-time-code.entity';
import { LoginPolicies } from '../login/login-policies';
import { PrincipalService } from '../principal/principal.service';
import { SessionService, type TokenPair } from '../tokens/session.service';
import { verifierMatches } from './pkce';

export const ONE_TIME_CODE_TTL_MS = 60_000;
export type OneTimeCodeMethod = 'social' | 'sso';

export interface OneTimeCodeOptions {
  /** PKCE S256 challenge from the login's start (`readCodeChallenge`). */
  codeChallenge?: string;
  /** The SSO connection the user came through, which the session will remember. */
  connectionId?: string;
  /**
   * An SSO login whose IdP showed a second factor on a connection marked `idpEnforcesMfa`:
   * the redeem then does not ask for the account's own.
   */
  idpMfa?: boolean;
}

function invalidCode(): AppError {
  return new AppError(400, ErrorCode.InvalidToken, { detail: 'The code is not valid.' });
}

/**
 * The last step of a social or SSO login. The federation module proves who the user is, then
 * `issue()` gives the browser a code for the app's redirect URI; the app trades it for a token
 * pair with `redeem()`. A code is single-use and lives 60 s. One that comes back after being
 * redeemed has leaked: the session it opened is revoked. A code issued with a PKCE challenge
 * is redeemed only with its verifier, so whoever reads it on its way to the app gains nothing.
 */
@Injectable()
export class OneTimeCodeService {
  constructor(
    private readonly sessions: SessionService,
    private readonly principals: PrincipalService,
    private readonly audit: AuditService,
    private readonly policies: LoginPolicies,
    private readonly tenants: TenantDirectory,
    private readonly scope: TenantScope,
    @InjectTenantRepository(OneTimeCode)
    private readonly codes: TenantScopedRepository<OneTimeCode>,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    @InjectTenantRepository(ActionToken)
    private readonly actionTokens: TenantScopedRepository<ActionToken>,
  ) {}

  /** A code for the user just proven, in the user's tenant. */
  issue(
    user: { id: string; tenantId: string },
    method: OneTimeCodeMethod,
    options: OneTimeCodeOptions = {},
  ): Promise<string> {
    const code = randomSecret();
    const now = new Date();
    const row = Object.assign(new OneTimeCode(), {
      id: newId(),
      codeHash: sha256Hex(code),
      tenantId: user.tenantId,
      userId: user.id,
      method,
      ssoConnectionId: options.connectionId ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ONE_TIME_CODE_TTL_MS),
      usedAt: null,
      codeChallenge: options.codeChallenge ?? null,
      sessionId: null,
      idpMfa: method === 'sso' && options.idpMfa === true,
    });
    return this.scope.run(user.tenantId, async () => {
      await this.codes.insert(row);
      return code;
    });
  }

  async redeem(
    code: string,
    client: ClientInfo,
    codeVerifier: string | null = null,
  ): Promise<TokenPair> {
    const row = await this.codes
      .unscoped('a code is found by its hash, unique on the instance; its row names the tenant')
      .findOne({ where: { codeHash: sha256Hex(code) } });
    if (!row) throw invalidCode();
    // Nobody is signed in: the code's tenant is the login's.
    return this.scope.run(row.tenantId, () => this.redeemFound(row, client, codeVerifier));
  }

  private async redeemFound(
    row: OneTimeCode,
    client: ClientInfo,
    codeVerifier: string | null,
  ): Promise<TokenPair> {
    const now = new Date();
    // Exactly one redemption can flip used_at; a replay (or a concurrent twin) cannot.
    const claimed = await this.codes.update(
      { id: row.id, usedAt: IsNull(), expiresAt: MoreThan(now) },
      { usedAt: now },
    );
    if (claimed !== 1) {
      if (row.usedAt !== null || row.expiresAt > now) await this.onReplay(row);
      throw invalidCode();
    }
    // Checked after the claim, so a failed proof spends the code: whoever holds a code without
    // its verifier (an interceptor) gets one try, and the code is dead for everyone after it.
    const pkce = proofProblem(row.codeChallenge, codeVerifier);
    if (pkce) {
      this.refuse(row, { reason: 'pkce_failed', pkce });
      throw invalidCode();
    }
    const context = await this.principals.userContext(row.userId);
    if (!context) throw invalidCode();
    this.principals.assertActive(context);
    const [user, tenant] = await Promise.all([
      this.users.findById(row.userId),
      this.tenants.findById(row.tenantId),
    ]);
    if (!user || !tenant) throw invalidCode();
    // The account's own rules (its second factor, the tenant's email verification) apply
    // however the user got here; a refusal leaves the spent code spent.
    await this.policies.afterFederatedLogin({
      user,
      tenant,
      method: row.method as OneTimeCodeMethod,
      idpMfa: row.idpMfa,
      ssoConnectionId: row.ssoConnectionId,
      client,
    });
    const { pair, sessionId } = await this.sessions.open(
      { id: row.userId, tenantId: row.tenantId },
      row.method as OneTimeCodeMethod,
      client,
      { ssoConnectionId: row.ssoConnectionId },
    );
    await this.codes.update({ id: row.id }, { sessionId });
    return pair;
  }

  /**
   * Unredeemed codes of an SSO connection whose trust changed, and the MFA challenges its
   * logins are waiting on: what the old settings vouched for must not open a session after the
   * change.
   */
  async withdrawForConnection(connectionId: string): Promise<void> {
    const now = new Date();
    await this.codes.update(
      { ssoConnectionId: connectionId, usedAt: IsNull(), expiresAt: MoreThan(now) },
      { expiresAt: now },
    );
    await this.actionTokens.update(
      { ssoConnectionId: connectionId, purpose: 'mfa_challenge', usedAt: IsNull() },
      { usedAt: now },
    );
  }

  private async onReplay(row: OneTimeCode): Promise<void> {
    const current = await this.codes.findById(row.id);
    if (current?.sessionId) await this.sessions.revoke(current.sessionId, 'code_replay');
    this.refuse(row, { reason: 'code_replayed', revokedSession: current?.sessionId ?? null });
  }

  private refuse(row: OneTimeCode, metadata: Record<string, unknown>): void {
    this.audit.record({
      action: `auth.${row.method}.login`,
      outcome: 'failure',
      tenantId: row.tenantId,
      actor: { type: 'user', id: row.userId },
      target: { type: 'user', id: row.userId },
      metadata,
    });
  }
}

/**
 * Why the exchange's proof fails, or null. A verifier for a code issued without a challenge is
 * refused too: the app that sends one started its login with a challenge, so a code without
 * one is not from its login (an attacker's code injected into its callback, RFC 9700 §4.5).
 */
function proofProblem(challenge: string | null, verifier: string | null): string | null {
  if (challenge === null) return verifier === null ? null : 'unexpected_verifier';
  if (verifier === null) return 'missing_verifier';
  return verifierMatches(verifier, challenge) ? null : 'wrong_verifier';
}
