import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisService } from '../common/redis/redis.service';

/**
 * Redis is optional: when it is down the service keeps serving from process memory, so the
 * indicator reports `degraded` (HTTP 200), not `down`.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisService,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    const client = this.redis.client;
    if (!client) return indicator.up({ mode: 'memory' });
    if (!this.redis.isReady())
      return indicator.degraded({ message: 'unreachable; using process memory' });
    try {
      await client.ping();
      return indicator.up();
    } catch {
      return indicator.degraded({ message: 'unreachable; using process memory' });
    }
  }
}
