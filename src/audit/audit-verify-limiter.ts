import { Injectable, Logger } from '@nestjs/common';
import { boundedCache } from '../common/cache/bounded-cache';
import { rateLimitedError } from '../common/errors/rate-limited.error';
import { RedisService } from '../common/redis/redis.service';

/**
 * One chain verification per tenant per window, whatever the plan's request limit: a verify
 * reads and hashes rows, so its cost, not the request count, is what is limited. Shared through
 * Redis when it is configured (every instance sees the same turn), in process memory otherwise
 * or while Redis is down. Independent of `RATE_LIMITS`, which only tunes request limits.
 */
@Injectable()
export class AuditVerifyLimiter {
  private readonly logger = new Logger('AuditVerify');
  private readonly memory = boundedCache<string, number>(100_000);
  /** The window; a property so a test can shorten it. */
  intervalMs = 60_000;

  constructor(private readonly redis: RedisService) {}

  /** Takes the chain's turn for this window, or throws 429 `rate_limited` with `Retry-After`. */
  async take(chain: string): Promise<void> {
    const leftMs = await this.claim(chain);
    if (leftMs > 0) {
      throw rateLimitedError(leftMs / 1000, {
        limit: 1,
        detail: 'The audit chain was verified moments ago; try again later.',
      });
    }
  }

  /** 0 when the turn is ours, else the milliseconds until the next one. */
  private async claim(chain: string): Promise<number> {
    const client = this.redis.isReady() ? this.redis.client : null;
    if (client) {
      const key = this.redis.key('audit-verify', chain);
      try {
        if ((await client.set(key, '1', 'PX', this.intervalMs, 'NX')) === 'OK') return 0;
        return Math.max(1, await client.pttl(key));
      } catch (error) {
        this.logger.warn(
          `Redis unavailable for the verify limit: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const now = Date.now();
    const until = this.memory.get(chain) ?? 0;
    if (until > now) return until - now;
    this.memory.set(chain, now + this.intervalMs);
    return 0;
  }
}
