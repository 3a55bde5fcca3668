import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, LessThanOrEqual, MoreThan, type Repository } from 'typeorm';
import { sha256Hex } from '../common/crypto/tokens';
import { RedisService } from '../common/redis/redis.service';
import { SsoState } from './entities/sso-state.entity';

const PURGE_INTERVAL_MS = 60_000;

/**
 * Short-lived SSO state that every instance must see: SAML request ids awaiting their response
 * (InResponseTo), assertion ids already consumed (the replay cache), OIDC login transactions.
 *
 * Redis when it is configured and reachable; otherwise the database, which several instances
 * share too (process memory would let a response sent to one instance be replayed on another).
 * Reads fall through to the database when Redis misses, so state written during a Redis outage
 * is still found, and a replay claim checks both. Keys are stored as SHA-256 hashes.
 */
@Injectable()
export class SsoStateStore {
  private readonly logger = new Logger('SsoStateStore');
  private lastPurge = 0;

  constructor(
    private readonly redis: RedisService,
    @InjectRepository(SsoState) private readonly states: Repository<SsoState>,
  ) {}

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    const hash = sha256Hex(key);
    const stored = await this.withRedis((client) =>
      client.set(this.redisKey(hash), value, 'PX', Math.max(1, Math.ceil(ttlMs))),
    );
    if (stored !== undefined) return;
    await this.purgeExpired();
    await this.states.upsert({ keyHash: hash, value, expiresAt: new Date(Date.now() + ttlMs) }, [
      'keyHash',
    ]);
  }

  async get(key: string): Promise<string | null> {
    const hash = sha256Hex(key);
    const cached = await this.withRedis((client) => client.get(this.redisKey(hash)));
    if (cached) return cached;
    const row = await this.states.findOne({
      where: { keyHash: hash, expiresAt: MoreThan(new Date()) },
    });
    return row?.value ?? null;
  }

  /** Reads and removes in one step: of concurrent takers, exactly one gets the value. */
  async take(key: string): Promise<string | null> {
    const hash = sha256Hex(key);
    const taken = await this.withRedis((client) => client.getdel(this.redisKey(hash)));
    if (taken) return taken;
    const now = new Date();
    const row = await this.states.findOne({ where: { keyHash: hash, expiresAt: MoreThan(now) } });
    if (!row) return null;
    const deleted = await this.states.delete({ keyHash: hash, expiresAt: MoreThan(now) });
    return deleted.affected === 1 ? row.value : null;
  }

  /**
   * Records that `key` has been used, for `ttlMs`. True for the first claim only, across
   * instances: the replay cache of assertion ids.
   */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const hash = sha256Hex(key);
    const now = new Date();
    if (await this.states.exists({ where: { keyHash: hash, expiresAt: MoreThan(now) } })) {
      return false;
    }
    const claimed = await this.withRedis((client) =>
      client.set(this.redisKey(hash), '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
    );
    if (claimed !== undefined) return claimed === 'OK';
    await this.states.delete({ keyHash: hash, expiresAt: LessThanOrEqual(now) });
    try {
      await this.states.insert({
        keyHash: hash,
        value: '1',
        expiresAt: new Date(now.getTime() + ttlMs),
      });
      return true;
    } catch (error) {
      // A concurrent claim of the same key inserted first (primary key violation).
      if (await this.states.exists({ where: { keyHash: hash } })) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const hash = sha256Hex(key);
    await this.withRedis((client) => client.del(this.redisKey(hash)));
    await this.states.delete({ keyHash: hash });
  }

  private redisKey(hash: string): string {
    return this.redis.key('sso', hash);
  }

  /** The command's result, or undefined when Redis is not configured, not ready, or failed. */
  private async withRedis<T>(
    command: (client: NonNullable<RedisService['client']>) => Promise<T>,
  ): Promise<T | undefined> {
    const client = this.redis.client;
    if (!client || !this.redis.isReady()) return undefined;
    try {
      return await command(client);
    } catch (error) {
      this.logger.warn(
        `Redis command failed (${error instanceof Error ? error.message : String(error)}); using the database`,
      );
      return undefined;
    }
  }

  private async purgeExpired(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now;
    await this.states.delete({ expiresAt: LessThan(new Date(now)) });
  }
}
