import { Injectable } from '@nestjs/common';
import type { Repository } from 'typeorm';
import { OAuthClient } from './entities/oauth-client.entity';
import { boundedCache } from '../common/cache/bounded-cache';
import {
  InjectTenantRepository,
  TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';

/**
 * How long an instance may act on a cached client. A change made here drops the entry at once;
 * another instance sees it within this bound, which keeps a deleted client's or rotated
 * secret's tokens from working for longer than 10 s anywhere.
 */
export const CLIENT_CACHE_TTL_MS = 5_000;

/**
 * Clients by their public `clientId`, for the token endpoint and the request path, where a
 * database round trip per request would be the bottleneck.
 */
@Injectable()
export class OAuthClientDirectory {
  private readonly byClientId = boundedCache<string, OAuthClient | 'missing'>(10_000, {
    ttl: CLIENT_CACHE_TTL_MS,
  });
  private readonly listeners: ((clientId: string) => void)[] = [];

  private readonly clients: Repository<OAuthClient>;

  constructor(@InjectTenantRepository(OAuthClient) clients: TenantScopedRepository<OAuthClient>) {
    this.clients = clients.unscoped(
      'a clientId is unique on the instance and is how the OAuth engine learns the tenant',
    );
  }

  async findByClientId(clientId: string): Promise<OAuthClient | null> {
    if (clientId.length === 0 || clientId.length > 64) return null;
    const cached = this.byClientId.get(clientId);
    if (cached) return cached === 'missing' ? null : cached;
    const client = await this.clients.findOne({ where: { clientId } });
    this.byClientId.set(clientId, client ?? 'missing');
    return client;
  }

  /** Called after a client changed or went away. */
  forget(clientId: string): void {
    this.byClientId.delete(clientId);
    for (const listener of this.listeners) listener(clientId);
  }

  onForget(listener: (clientId: string) => void): void {
    this.listeners.push(listener);
  }
}
