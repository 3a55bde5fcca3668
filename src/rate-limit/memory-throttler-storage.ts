import type { ThrottlerStorage } from '@nestjs/throttler';
import { boundedCache } from '../common/cache/bounded-cache';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Counter {
  hits: number;
  windowEnd: number;
  blockEnd: number;
}

/**
 * Rate-limit counters in process memory, with exactly the semantics of the Redis script of
 * `@nest-lab/throttler-storage-redis` (a fixed window; past the limit, blocked for
 * `blockDuration`), so falling back from Redis changes where counts live, not what they mean.
 * O(1) per request, unlike the throttler's own memory storage, which keeps one timestamp per
 * hit (up to 12,000 per key with the enterprise tier). Bounded: the least recently used
 * counters go first.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly counters = boundedCache<string, Counter>(100_000);

  constructor(private readonly now: () => number = Date.now) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { hits: 0, windowEnd: 0, blockEnd: 0 };
      this.counters.set(key, counter);
    }
    if (counter.windowEnd <= now) {
      counter.hits = 0;
      counter.windowEnd = now + ttl;
    }
    counter.hits += 1;
    let blockLeft = counter.blockEnd - now;
    if (blockLeft <= 0 && counter.hits > limit) {
      counter.blockEnd = now + blockDuration;
      blockLeft = blockDuration;
    }
    const isBlocked = blockLeft > 0;
    return Promise.resolve({
      totalHits: counter.hits,
      timeToExpire: Math.ceil((counter.windowEnd - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil(blockLeft / 1000) : 0,
    });
  }
}
