import { Injectable } from '@nestjs/common';
import type { Account, Grant, KoaContextWithOIDC } from 'oidc-provider';
import { PrincipalService } from '../../auth/principal/principal.service';
import { AppConfig } from '../../config/app-config';
import { OAuthClientDirectory } from '../oauth-client-directory.service';
import { OAuthConsentService } from '../oauth-consent.service';
import { ACCESS_TOKEN_OIDC_SCOPES, API_SCOPES, OIDC_SCOPES } from '../oauth-scopes';

/**
 * Gatehouse's users as the engine sees them: the account behind a `sub` (active, and of the
 * client's tenant), and the grants that hold what they consented to.
 */
@Injectable()
export class OidcAccounts {
  constructor(
    private readonly config: AppConfig,
    private readonly principals: PrincipalService,
    private readonly clients: OAuthClientDirectory,
    private readonly consents: OAuthConsentService,
  ) {}

  async findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const context = await this.principals.userContext(sub);
    if (!context || context.user.status !== 'active' || context.tenant.status !== 'active') {
      return undefined;
    }
    const clientId = ctx.oidc?.client?.clientId;
    if (clientId) {
      const client = await this.clients.findByClientId(clientId);
      if (!client || client.tenantId !== context.tenant.id) return undefined;
    }
    const { user } = context;
    return {
      accountId: sub,
      claims: () => ({
        sub,
        email: user.email,
        email_verified: user.emailVerified,
        name: user.name,
      }),
    };
  }

  /**
   * The grant an authorization request builds on: the one of this browser session, else one
   * made from the user's remembered consent (or for a client that skips consent), so consent
   * is asked once per user, client and scope set.
   */
  async loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const accountId = oidc.account?.accountId;
    if (!clientId || !accountId) return undefined;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
    if (grantId) {
      const grant = await oidc.provider.Grant.find(grantId);
      if (grant && grant.accountId === accountId && grant.clientId === clientId) return grant;
    }
    const client = await this.clients.findByClientId(clientId);
    if (!client) return undefined;
    const requested = [...oidc.requestParamScopes];
    const allowed = requested.filter((scope) => client.scopes.includes(scope));
    const covered =
      client.skipConsent ||
      (await this.consents.covers(client.tenantId, accountId, client.id, allowed));
    if (!covered || allowed.length === 0) return undefined;
    const grant = new oidc.provider.Grant({ accountId, clientId });
    this.addScopes(grant, requested, client.scopes);
    await grant.save();
    return grant;
  }

  /**
   * Puts the requested scopes the client may have in a grant — OpenID ones as such, API ones
   * (with `openid profile email`, which ride in the access token) for Gatehouse's API — and
   * marks the other requested OpenID scopes refused, so they are not asked about again.
   */
  addScopes(grant: Grant, requested: readonly string[], allowed: readonly string[]): void {
    const isOidc = (scope: string) => (OIDC_SCOPES as readonly string[]).includes(scope);
    const granted = requested.filter((scope) => allowed.includes(scope));
    const oidc = granted.filter(isOidc);
    const refused = requested.filter((scope) => isOidc(scope) && !allowed.includes(scope));
    const resource = granted.filter(
      (scope) =>
        (API_SCOPES as readonly string[]).includes(scope) ||
        (ACCESS_TOKEN_OIDC_SCOPES as readonly string[]).includes(scope),
    );
    if (oidc.length > 0) grant.addOIDCScope(oidc.join(' '));
    if (refused.length > 0) grant.rejectOIDCScope(refused.join(' '));
    if (resource.length > 0)
      grant.addResourceScope(this.config.tokens.audience, resource.join(' '));
  }
}
