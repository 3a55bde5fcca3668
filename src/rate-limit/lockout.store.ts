import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '../common/redis/redis.service';
import {
  applyFailure,
  type FailureOutcome,
  FIRST_LOCK_SECONDS,
  LOCKOUT_MEMORY_SECONDS,
  type LockoutState,
  MAX_LOCK_SECONDS,
} from './lockout-schedule';
import { boundedCache } from '../common/cache/bounded-cache';

/**
 * Atomically: one more failure; past the threshold, reset the count, raise the level and set the
 * lock key with its own expiry. KEYS: state hash, lock key. ARGV: threshold, first lock (s),
 * max lock (s), memory (s). Answers {locked, seconds, level}.
 */
const RECORD_FAILURE = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local result = {0, 0, 0}
if failures >= tonumber(ARGV[1]) then
  local level = redis.call('HINCRBY', KEYS[1], 'level', 1)
  local seconds = math.floor(math.min(tonumber(ARGV[2]) * 2 ^ (level - 1), tonumber(ARGV[3])))
  redis.call('HSET', KEYS[1], 'failures', 0)
  redis.call('SET', KEYS[2], level, 'PX', seconds * 1000)
  result = {1, seconds, level}
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return result
`;

/** Lockout state in process memory: the store without Redis, and its fallback. */
export class MemoryLockouts {
  private readonly states = boundedCache<string, LockoutState>(100_000, {
    ttl: LOCKOUT_MEMORY_SECONDS * 1000,
  });

  constructor(private readonly now: () => number = Date.now) {}

  remainingMs(key: string): number {
    return Math.max(0, (this.states.get(key)?.lockedUntil ?? 0) - this.now());
  }

  recordFailure(key: string, threshold: number): FailureOutcome {
    const current = this.states.get(key) ?? { failures: 0, level: 0, lockedUntil: 0 };
    const { state, outcome } = applyFailure(current, threshold, this.now());
    this.states.set(key, state);
    return outcome;
  }

  reset(key: string): void {
    this.states.delete(key);
  }
}

/**
 * Failed-login counters and locks (per (tenant, email), and per (tenant, email, address)), shared through Redis when it is
 * configured (every instance sees the same lock), in process memory otherwise or while Redis
 * is down. Keys are hashes: no email address is written to Redis.
 */
@Injectable()
export class LockoutStore {
  private readonly logger = new Logger('Lockout');
  private readonly memory = new MemoryLockouts();

  constructor(private readonly redis: RedisService) {}

  /** Milliseconds the key stays locked; 0 when it is not. */
  async remainingMs(key: string): Promise<number> {
    const client = this.readyClient();
    if (client) {
      try {
        return Math.max(0, await client.pttl(this.lockKey(key)));
      } catch (error) {
        this.fallback(error);
      }
    }
    return this.memory.remainingMs(key);
  }

  async recordFailure(key: string, threshold: number): Promise<FailureOutcome> {
    const client = this.readyClient();
    if (client) {
      try {
        const [locked, seconds, level] = (await client.eval(
          RECORD_FAILURE,
          2,
          this.stateKey(key),
          this.lockKey(key),
          threshold,
          FIRST_LOCK_SECONDS,
          MAX_LOCK_SECONDS,
          LOCKOUT_MEMORY_SECONDS,
        )) as [number, number, number];
        return { locked: locked === 1, seconds, level };
      } catch (error) {
        this.fallback(error);
      }
    }
    return this.memory.recordFailure(key, threshold);
  }

  async reset(key: string): Promise<void> {
    this.memory.reset(key);
    const client = this.readyClient();
    if (!client) return;
    try {
      await client.del(this.stateKey(key), this.lockKey(key));
    } catch (error) {
      this.fallback(error);
    }
  }

  private readyClient() {
    return this.redis.isReady() ? this.redis.client : null;
  }

  private stateKey(key: string): string {
    return this.redis.key(`{lockout:${key}}`, 'state');
  }

  private lockKey(key: string): string {
    return this.redis.key(`{lockout:${key}}`, 'lock');
  }

  private fallback(error: unknown): void {
    this.logger.warn(
      `Redis command failed (${error instanceof Error ? error.message : String(error)}); using process memory`,
    );
  }
}
