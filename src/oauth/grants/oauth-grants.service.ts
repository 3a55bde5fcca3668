import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { requireAccountHolder } from '../../account/account-holder';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { AuditService } from '../../audit/audit.service';
import type { CredentialChange } from '../../auth/credential-changes';
import type { Principal } from '../../auth/principal/principal';
import { AppError } from '../../common/errors/app-error';
import type { PageQueryDto } from '../../common/pagination/pagination';
import type { OAuthGrantDto, OAuthGrantListDto } from '../dto/oauth-grant.dto';
import { OAuthClient } from '../entities/oauth-client.entity';
import { OAuthConsentService } from '../oauth-consent.service';
import { OidcArtifactStore, type StoredGrant } from '../provider/oidc-artifact-store.service';

export type GrantRevocationReason =
  CredentialChange | 'user_revoked' | 'redirect_uris_changed' | 'client_deleted';

/** A grant id as oidc-provider makes them (URL-safe random); anything else is no grant. */
const GRANT_ID = /^[\w-]{1,64}$/;

/**
 * OAuth grants as their user sees them ("connected apps"), and their revocation: by the user,
 * when the user's credentials change, and when a client's redirect URIs change. Revoking a
 * grant deletes it with every code and token issued under it, and forgets the consent behind
 * it, so the application must ask again.
 */
@Injectable()
export class OAuthGrantsService {
  constructor(
    private readonly store: OidcArtifactStore,
    private readonly consents: OAuthConsentService,
    private readonly audit: AuditService,
    private readonly scope: TenantScope,
    @InjectTenantRepository(OAuthClient)
    private readonly clients: TenantScopedRepository<OAuthClient>,
  ) {}

  /** The caller's live grants, newest first unless asked otherwise. */
  async list(auth: Principal, query: PageQueryDto): Promise<OAuthGrantListDto> {
    const { userId } = requireAccountHolder(auth);
    const { grants: page, nextCursor } = await this.store.grantsOfAccount(userId, query);
    const clients = await this.clientsOf(page);
    const lastUsed = await this.store.lastIssued(page.map((grant) => grant.id));
    const items: OAuthGrantDto[] = [];
    for (const grant of page) {
      const client = clients.get(grant.clientId);
      // A grant of a deleted client (or, impossibly, another tenant's) is no connected app.
      if (!client) continue;
      items.push({
        id: grant.id,
        clientId: client.clientId,
        clientName: client.name,
        scopes: grant.scopes,
        createdAt: grant.createdAt.toISOString(),
        lastUsedAt: lastUsed.get(grant.id)?.toISOString() ?? null,
      });
    }
    return { items, nextCursor };
  }

  /** Revokes one of the caller's grants; another user's, or an unknown id, is 404. */
  async revoke(auth: Principal, id: string): Promise<void> {
    const { userId } = requireAccountHolder(auth);
    const grant = GRANT_ID.test(id) ? await this.store.findGrant(id) : null;
    const client = grant ? (await this.clientsOf([grant])).get(grant.clientId) : null;
    if (!grant || grant.accountId !== userId || !client) throw AppError.notFound();
    await this.store.deleteGrants([grant.id]);
    await this.consents.forget({ userId, clientId: client.id });
    this.record(auth.tenant.id, [grant], new Map([[client.clientId, client]]), 'user_revoked');
  }

  /**
   * Every grant of a user, with its tokens, the consent behind them and the user's sign-ins at
   * the authorization server (else a browser still signed in there would get a new grant). In
   * the user's tenant, which a credential change names whoever made it.
   */
  revokeGrantsOfAccount(
    tenantId: string,
    userId: string,
    reason: GrantRevocationReason,
  ): Promise<void> {
    return this.scope.run(tenantId, async () => {
      const grants = await this.store.grantsOf({ accountId: userId });
      await this.store.deleteGrants(grants.map((grant) => grant.id));
      await this.store.deleteAccountArtifacts(userId);
      await this.consents.forget({ userId });
      this.record(tenantId, grants, await this.clientsOf(grants), reason);
    });
  }

  /** Every grant of a client, with its tokens and the consent users gave it. */
  async revokeGrantsOfClient(
    tenantId: string,
    client: Pick<OAuthClient, 'id' | 'clientId' | 'name'>,
    reason: GrantRevocationReason,
  ): Promise<void> {
    const grants = await this.store.grantsOf({ clientId: client.clientId });
    await this.store.deleteGrants(grants.map((grant) => grant.id));
    await this.scope.run(tenantId, () => this.consents.forget({ clientId: client.id }));
    this.record(tenantId, grants, new Map([[client.clientId, client]]), reason);
  }

  private async clientsOf(
    grants: readonly StoredGrant[],
  ): Promise<Map<string, Pick<OAuthClient, 'id' | 'clientId' | 'name'>>> {
    const clientIds = [...new Set(grants.map((grant) => grant.clientId))];
    if (clientIds.length === 0) return new Map();
    const rows = await this.clients.find({
      where: { clientId: In(clientIds) },
      select: { id: true, clientId: true, name: true },
    });
    return new Map(rows.map((row) => [row.clientId, row]));
  }

  private record(
    tenantId: string,
    grants: readonly StoredGrant[],
    clients: Map<string, Pick<OAuthClient, 'id'>>,
    reason: GrantRevocationReason,
  ): void {
    for (const grant of grants) {
      this.audit.record({
        action: 'oauth.token.revoked',
        outcome: 'success',
        tenantId,
        target: { type: 'oauth_client', id: clients.get(grant.clientId)?.id ?? null },
        metadata: { grantId: grant.id, clientId: grant.clientId, reason },
      });
    }
  }
}
