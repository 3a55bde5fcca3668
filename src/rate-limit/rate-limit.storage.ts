import { Logger, type OnModuleDestroy, type Provider } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { AppConfig } from '../config/app-config';
import { MemoryThrottlerStorage, type ThrottlerStorageRecord } from './memory-throttler-storage';

export type RateLimitStorageMode = 'redis' | 'memory';

/**
 * Where rate-limit counters live: in Redis when `REDIS_URL` is set (one atomic script, one round
 * trip per request, so every instance counts against the same limit), and in process memory
 * otherwise, or whenever Redis cannot answer right now. The Redis connection fails fast (no
 * offline queue) and reconnects by itself; counting moves back to Redis as soon as it is ready.
 */
export class RateLimitStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private readonly memory = new MemoryThrottlerStorage();
  private lastMode: RateLimitStorageMode;

  /** Given a Redis storage, this one owns its connection and closes it on shutdown. */
  constructor(private readonly redis: ThrottlerStorageRedisService | null = null) {
    // RedisService already reports an outage of the same server; errors here only mean "use memory".
    this.redis?.redis.on('error', () => undefined);
    this.lastMode = this.redis ? 'redis' : 'memory';
  }

  /**
   * The storage for this configuration. The Redis storage (and ioredis with it) loads only when
   * limits are on and there is a URL: a single instance without Redis never pays for it.
   */
  static async create(config: AppConfig): Promise<RateLimitStorage> {
    const url = config.redis.url;
    if (!url || !config.security.rateLimits) return new RateLimitStorage();
    const { ThrottlerStorageRedisService } = await import('@nest-lab/throttler-storage-redis');
    return new RateLimitStorage(
      new ThrottlerStorageRedisService(url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 2000,
        commandTimeout: 500,
        retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
      }),
    );
  }

  /** Where the next count goes. */
  get mode(): RateLimitStorageMode {
    return this.redis?.redis.status === 'ready' ? 'redis' : 'memory';
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.redis && this.redis.redis.status === 'ready') {
      try {
        const record = await this.redis.increment(key, ttl, limit, blockDuration, throttlerName);
        this.switchTo('redis');
        return record;
      } catch {
        // Dropped connection or timeout: count this request in memory, as the next ones will be
        // until the client is ready again.
      }
    }
    this.switchTo('memory');
    return this.memory.increment(key, ttl, limit, blockDuration);
  }

  onModuleDestroy(): void {
    this.redis?.onModuleDestroy();
  }

  private switchTo(mode: RateLimitStorageMode): void {
    if (mode === this.lastMode || !this.redis) return;
    this.lastMode = mode;
    if (mode === 'memory')
      this.logger.warn('Redis unavailable: rate limits are counted in process memory');
    else this.logger.log('Redis is back: rate limits are counted in Redis again');
  }
}

export const rateLimitStorageProvider: Provider = {
  provide: RateLimitStorage,
  inject: [AppConfig],
  useFactory: (config: AppConfig) => RateLimitStorage.create(config),
};
