import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { TenantScope } from '../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { OAuthConsent } from './entities/oauth-consent.entity';

/**
 * Consent a user gave a client, remembered per (user, client) as the union of scopes granted.
 * The authorization server asks with no principal in the request: it names the client's tenant.
 */
@Injectable()
export class OAuthConsentService {
  constructor(
    private readonly scope: TenantScope,
    @InjectTenantRepository(OAuthConsent)
    private readonly consents: TenantScopedRepository<OAuthConsent>,
  ) {}

  /** Whether the user already agreed to every one of these scopes for this client. */
  async covers(
    tenantId: string,
    userId: string,
    clientRowId: string,
    scopes: readonly string[],
  ): Promise<boolean> {
    const consent = await this.scope.run(tenantId, () =>
      this.consents.findOne({ userId, clientId: clientRowId }),
    );
    if (!consent) return false;
    const granted = new Set(consent.scopes);
    return scopes.every((scope) => granted.has(scope));
  }

  /**
   * Forgets consent along with the grants it made: else a revoked app would get a new grant
   * without a question the next time it sends the user to the authorization endpoint.
   */
  async forget(where: { userId: string } | { clientId: string }): Promise<void> {
    await this.consents.delete(where);
  }

  remember(
    tenantId: string,
    userId: string,
    clientRowId: string,
    scopes: readonly string[],
  ): Promise<void> {
    return this.scope.run(tenantId, () => this.rememberInScope(userId, clientRowId, scopes));
  }

  private async rememberInScope(
    userId: string,
    clientRowId: string,
    scopes: readonly string[],
  ): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.consents.findOne({ userId, clientId: clientRowId });
      const now = new Date();
      if (existing) {
        const union = [...new Set([...existing.scopes, ...scopes])].sort();
        await this.consents.update({ id: existing.id }, { scopes: union, updatedAt: now });
        return;
      }
      try {
        await this.consents.insert(
          this.consents.create({
            id: newId(),
            userId,
            clientId: clientRowId,
            scopes: [...new Set(scopes)].sort(),
            createdAt: now,
            updatedAt: now,
          }),
        );
        return;
      } catch (error) {
        // Consent given in two tabs at once: the other insert won; merge into it instead.
        if (!(error instanceof QueryFailedError) || attempt > 0) throw error;
      }
    }
  }
}
