import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { AppConfig } from '../../config/app-config';
import { MemoryThrottlerStorage, type ThrottlerStorageRecord } from './memory-throttler-storage';

export type RateLimitStorageMode = 'redis' | 'memory';

/**
 * Where rate-limit counters live: in Redis when `REDIS_URL` is set (one atomic script, one round
 * trip per request, so every instance counts against the same limit), and in process memory
 * otherwise, or whenever Redis cannot answer right now. The Redis connection fails fast (no
 * offline queue) and reconnects by itself; counting moves back to Redis as soon as it is ready.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private readonly memory = new MemoryThrottlerStorage();
  private readonly redis: ThrottlerStorageRedisService | null;
  private lastMode: RateLimitStorageMode;

  constructor(config: AppConfig) {
    const url = config.redis.url;
    // Given the URL, the storage owns its connection and closes it on shutdown.
    this.redis =
      url && config.security.rateLimits
        ? new ThrottlerStorageRedisService(url, {
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            connectTimeout: 2000,
            commandTimeout: 500,
            retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
          })
        : null;
    // RedisService already reports an outage of the same server; errors here only mean "use memory".
    this.redis?.redis.on('error', () => undefined);
    this.lastMode = this.redis ? 'redis' : 'memory';
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
