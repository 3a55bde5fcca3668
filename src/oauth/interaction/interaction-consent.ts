import { Injectable } from '@nestjs/common';
import type { Grant } from 'oidc-provider';
import { AuditService } from '../../audit/audit.service';
import type { OAuthClient } from '../entities/oauth-client.entity';
import { OAuthConsentService } from '../oauth-consent.service';
import { OidcAccounts } from '../provider/oidc-accounts';
import { OidcProviderService } from '../provider/oidc-provider.service';

export type InteractionDetails = Awaited<
  ReturnType<ReturnType<OidcProviderService['provider']>['interactionDetails']>
>;

/**
 * The consent step's decisions: which scopes the user is asked for, whether they already gave
 * them, and the grant that records what they gave.
 */
@Injectable()
export class InteractionConsent {
  constructor(
    private readonly oidc: OidcProviderService,
    private readonly accounts: OidcAccounts,
    private readonly consents: OAuthConsentService,
    private readonly audit: AuditService,
  ) {}

  /**
   * The scopes the user is asked to give: those requested that the client may have, and
   * `offline_access` when the client is registered for refresh tokens (it gets them with every
   * code, so the user must know).
   */
  requestedScopes(details: InteractionDetails, client: OAuthClient): string[] {
    const scope = typeof details.params.scope === 'string' ? details.params.scope : '';
    const requested = new Set(scope.split(' '));
    if (client.grantTypes.includes('refresh_token')) requested.add('offline_access');
    return [...requested].filter((name) => client.scopes.includes(name));
  }

  /** A first-party client, or a user who already agreed to all of it, is not asked twice. */
  async alreadyGiven(
    details: InteractionDetails,
    client: OAuthClient,
    accountId: string,
  ): Promise<boolean> {
    return (
      client.skipConsent ||
      this.consents.covers(
        client.tenantId,
        accountId,
        client.id,
        this.requestedScopes(details, client),
      )
    );
  }

  /** Records the user's consent in a grant (and remembers it), answering the grant id. */
  async grant(
    details: InteractionDetails,
    client: OAuthClient,
    accountId: string,
    automatic: boolean,
  ): Promise<string> {
    const provider = this.oidc.provider();
    let grant: Grant | undefined = details.grantId
      ? await provider.Grant.find(details.grantId)
      : undefined;
    if (!grant || grant.accountId !== accountId || grant.clientId !== client.clientId) {
      grant = new provider.Grant({ accountId, clientId: client.clientId });
    }
    const scopes = this.requestedScopes(details, client);
    const requested =
      typeof details.params.scope === 'string' ? details.params.scope.split(' ') : [];
    this.accounts.addScopes(grant, requested, client.scopes);
    const missingClaims = (details.prompt.details as { missingOIDCClaims?: string[] })
      .missingOIDCClaims;
    if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await this.consents.remember(client.tenantId, accountId, client.id, scopes);
    if (automatic) return grantId;
    this.audit.record({
      action: 'oauth.consent.granted',
      outcome: 'success',
      tenantId: client.tenantId,
      actor: { type: 'user', id: accountId },
      target: { type: 'oauth_client', id: client.id },
      metadata: { clientId: client.clientId, scopes, automatic },
    });
    return grantId;
  }
}
