import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { OAuthConsent } from './entities/oauth-consent.entity';

/** Consent a user gave a client, remembered per (user, client) as the union of scopes granted. */
@Injectable()
export class OAuthConsentService {
  constructor(
    @InjectRepository(OAuthConsent) private readonly consents: Repository<OAuthConsent>,
  ) {}

  /** Whether the user already agreed to every one of these scopes for this client. */
  async covers(userId: string, clientRowId: string, scopes: readonly string[]): Promise<boolean> {
    const consent = await this.consents.findOne({ where: { userId, clientId: clientRowId } });
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

  async remember(
    tenantId: string,
    userId: string,
    clientRowId: string,
    scopes: readonly string[],
  ): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.consents.findOne({ where: { userId, clientId: clientRowId } });
      const now = new Date();
      if (existing) {
        const union = [...new Set([...existing.scopes, ...scopes])].sort();
        await this.consents.update({ id: existing.id }, { scopes: union, updatedAt: now });
        return;
      }
      try {
        await this.consents.insert({
          id: newId(),
          tenantId,
          userId,
          clientId: clientRowId,
          scopes: [...new Set(scopes)].sort(),
          createdAt: now,
          updatedAt: now,
        });
        return;
      } catch (error) {
        // Consent given in two tabs at once: the other insert won; merge into it instead.
        if (!(error instanceof QueryFailedError) || attempt > 0) throw error;
      }
    }
  }
}
