import { Injectable, Logger } from '@nestjs/common';
import { In, IsNull, QueryFailedError } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import {
  type OneTimeCodeOptions,
  OneTimeCodeService,
} from '../auth/exchange/one-time-code.service';
import { TenantScope } from '../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { TransactionRunner } from '../database/transaction-runner';
import { Role } from '../roles/entities/role.entity';
import { AppConfig } from '../config/app-config';
import { assertAllowedRedirect, redirectWith } from '../tenants/app-redirect';
import { TenantDirectory } from '../tenants/tenant-directory.service';
import { User } from '../users/entities/user.entity';
import { UserAccountsService } from '../users/user-accounts.service';
import { UserIdentitiesService } from '../users/user-identities.service';
import { emailDomain } from './connection-settings';
import type { LoadedConnection } from './sso-connections.service';
import { SsoAccountExists, SsoRefusal } from './sso-refusal';

/** What an IdP asserted about the user, once its answer passed every check of its protocol. */
export interface AssertedIdentity {
  /** SAML NameID or OIDC `sub`: the stable key of the identity at this connection. */
  subject: string;
  /** Lower-cased; null when the IdP sent none. */
  email: string | null;
  /** SAML: the IdP is authoritative for its domains. OIDC: the `email_verified` claim. */
  emailVerified: boolean;
  name: string | null;
  groups: string[];
  /**
   * The signed answer shows a second factor (SAML AuthnContextClassRef, OIDC `amr`/`acr`). It
   * counts only on a connection an owner marked `idpEnforcesMfa`.
   */
  mfa: boolean;
}

const REFUSED_DETAIL = 'The single sign-on answer was refused.';
const MAX_SUBJECT_LENGTH = 255;

/**
 * The end of every SSO login, whatever the protocol: find the user by the connection's subject,
 * else link the account with the asserted email in the connection's tenant (only a verified
 * account; audited and mailed to its holder), else create it (JIT); refuse disabled users and
 * suspended tenants; issue the one-time code for the app's redirect URI. A connection only ever
 * signs users into its own tenant: the login runs in the scope of `connection.tenantId`.
 */
@Injectable()
export class SsoLoginService {
  private readonly logger = new Logger('SsoLogin');

  constructor(
    private readonly config: AppConfig,
    private readonly tenants: TenantDirectory,
    private readonly accounts: UserAccountsService,
    private readonly identities: UserIdentitiesService,
    private readonly codes: OneTimeCodeService,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly scope: TenantScope,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
  ) {}

  /**
   * Records a refused answer (`auth.sso.login` failure with its reason) and returns the error
   * the client sees: 401 `sso_failed`, the same whatever the reason, except 400
   * `invalid_token` for an answer brought by a browser that did not start the login.
   */
  refusal(connection: LoadedConnection, error: unknown): AppError {
    const refusal =
      error instanceof SsoRefusal
        ? error
        : new SsoRefusal(
            'invalid_response',
            error instanceof Error ? error.message : String(error),
          );
    this.recordRefusal(connection, refusal);
    // Not an IdP answer refused but a browser that did not start this login (login CSRF).
    if (refusal.reason === 'browser_binding') {
      return new AppError(400, ErrorCode.InvalidToken, {
        detail: 'This login was not started in this browser: start it again.',
      });
    }
    return new AppError(401, ErrorCode.SsoFailed, { detail: REFUSED_DETAIL });
  }

  private recordRefusal(connection: LoadedConnection, refusal: SsoRefusal): void {
    this.logger.warn(
      `SSO answer refused for connection ${connection.id}: ${refusal.reason} (${refusal.message.slice(0, 200)})`,
    );
    this.audit.record({
      action: 'auth.sso.login',
      outcome: 'failure',
      tenantId: connection.tenantId,
      actor: { type: refusal.userId ? 'user' : 'system', id: refusal.userId ?? null },
      target: {
        type: refusal.userId ? 'user' : 'sso_connection',
        id: refusal.userId ?? connection.id,
      },
      metadata: { connectionId: connection.id, protocol: connection.type, reason: refusal.reason },
    });
  }

  /**
   * The login start's check of the app's redirect URI: APP_REDIRECT_ALLOWLIST narrowed by the
   * connection's tenant (`settings.redirectAllowlist`), before anything goes to the IdP.
   */
  async checkedRedirect(connection: LoadedConnection, redirectUri: unknown): Promise<string> {
    const instanceList = this.config.http.appRedirectAllowlist;
    assertAllowedRedirect(redirectUri, instanceList);
    const tenant = await this.tenants.findById(connection.tenantId);
    return assertAllowedRedirect(
      redirectUri,
      instanceList,
      tenant?.settings.redirectAllowlist ?? null,
    );
  }

  /** Signs the asserted user in; answers where to send the browser (`redirect_uri?code=`). */
  complete(
    connection: LoadedConnection,
    asserted: AssertedIdentity,
    redirectUri: string,
    options: OneTimeCodeOptions = {},
  ): Promise<string> {
    // Nobody is signed in yet: the connection's tenant is the login's.
    return this.scope.run(connection.tenantId, async () => {
      let result: { user: User; identityId: string | null; provisioned: boolean; linked: boolean };
      try {
        result = await this.resolveUser(connection, asserted);
      } catch (error) {
        if (error instanceof SsoAccountExists) {
          this.recordRefusal(connection, error);
          return redirectWith(redirectUri, { error: 'account_exists' });
        }
        if (error instanceof SsoRefusal) throw this.refusal(connection, error);
        throw error;
      }
      const { user } = result;
      if (result.identityId) await this.identities.touch(result.identityId, asserted.email);
      await this.users.update({ id: user.id }, { lastLoginAt: new Date() });
      if (result.provisioned) await this.accounts.announceCreated(user, 'sso');
      if (result.linked && result.identityId) {
        await this.identities.announceLinked(user, {
          identityId: result.identityId,
          provider: providerOf(connection.id),
          method: 'sso',
          label: connection.name,
          linkedAt: new Date(),
        });
      }
      // The account's MFA is met by the IdP only where an owner vouched for the IdP's MFA and its
      // signed answer shows it (review F2); otherwise the exchange asks for the user's own factor.
      const idpMfa = connection.idpEnforcesMfa && asserted.mfa;
      const code = await this.codes.issue(user, 'sso', {
        ...options,
        connectionId: connection.id,
        idpMfa,
      });
      this.audit.record({
        action: 'auth.sso.login',
        outcome: 'success',
        tenantId: connection.tenantId,
        actor: { type: 'user', id: user.id },
        target: { type: 'user', id: user.id },
        metadata: {
          connectionId: connection.id,
          protocol: connection.type,
          provisioned: result.provisioned,
          linked: result.linked,
          idpMfa,
        },
      });
      return redirectWith(redirectUri, { code });
    });
  }

  private async resolveUser(
    connection: LoadedConnection,
    asserted: AssertedIdentity,
  ): Promise<{ user: User; identityId: string | null; provisioned: boolean; linked: boolean }> {
    const tenant = await this.tenants.findById(connection.tenantId);
    if (!tenant || tenant.status !== 'active') throw new SsoRefusal('tenant_suspended');
    if (!asserted.subject || asserted.subject.length > MAX_SUBJECT_LENGTH) {
      throw new SsoRefusal('subject_invalid');
    }
    const provider = providerOf(connection.id);

    const identity = await this.identities.find(provider, asserted.subject);
    if (identity) {
      const user = await this.users.findOne({ id: identity.userId, deletedAt: IsNull() });
      if (user) {
        assertActive(user);
        return { user, identityId: identity.id, provisioned: false, linked: false };
      }
      // The account was deleted; its link goes, and this login proceeds as a first one.
      await this.identities.unlink(identity.userId, identity.id);
    }

    const email = asserted.email;
    if (!email) throw new SsoRefusal('email_missing');
    const domain = emailDomain(email);
    // The IdP speaks for its own verified domains only: another domain's user of this tenant,
    // or one of a domain merely claimed, is not its to link or create.
    if (!domain || !connection.domainNames.includes(domain)) {
      throw new SsoRefusal('email_domain_not_allowed');
    }

    const existing = await this.accounts.findForLogin(email);
    if (existing) {
      if (!asserted.emailVerified)
        throw new SsoRefusal('email_not_verified', 'email_not_verified', existing.id);
      // Pre-account takeover (review F6): an unverified account may belong to whoever
      // registered the address first; the holder verifies it, signs in, and links from there.
      if (!existing.emailVerified) throw new SsoAccountExists(existing.id);
      assertActive(existing);
      const linked = await this.linkOrRefuse(() =>
        this.transactions.run((manager) =>
          this.identities.link(manager, {
            userId: existing.id,
            provider,
            subject: asserted.subject,
            email,
          }),
        ),
      );
      return { user: existing, identityId: linked.id, provisioned: false, linked: true };
    }

    if (!connection.jitProvisioning) throw new SsoRefusal('jit_disabled');
    const roleIds = await this.rolesFor(connection, asserted.groups);
    const user = await this.linkOrRefuse(() =>
      this.transactions.run(async (manager) => {
        const created = await this.accounts.create(
          manager,
          {
            email,
            name: asserted.name?.slice(0, 200) ?? undefined,
            emailVerified: asserted.emailVerified,
            roleIds,
          },
          null,
        );
        await this.identities.link(manager, {
          userId: created.id,
          provider,
          subject: asserted.subject,
          email,
        });
        return created;
      }),
    );
    return { user, identityId: null, provisioned: true, linked: false };
  }

  /**
   * Default roles plus the roles of the user's mapped groups, as they exist now: a role deleted
   * since the connection was configured is skipped rather than failing every login.
   */
  private async rolesFor(
    connection: LoadedConnection,
    groups: readonly string[],
  ): Promise<string[]> {
    const wanted = new Set(connection.defaultRoleIds);
    for (const entry of connection.attributeMapping?.groupRoles ?? []) {
      if (groups.includes(entry.group)) for (const id of entry.roleIds) wanted.add(id);
    }
    if (wanted.size === 0) return [];
    const found = await this.roles.find({ where: { id: In([...wanted]) }, select: { id: true } });
    return found.map((role) => role.id);
  }

  /** A concurrent first login of the same user may win the race: that one is refused, not a 500. */
  private async linkOrRefuse<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const conflict =
        error instanceof QueryFailedError || (error instanceof AppError && error.status === 409);
      if (conflict) throw new SsoRefusal('concurrent_login');
      throw error;
    }
  }
}

export function providerOf(connectionId: string): string {
  return `sso:${connectionId}`;
}

function assertActive(user: User): void {
  if (user.status !== 'active') throw new SsoRefusal('user_disabled', 'user_disabled', user.id);
}
