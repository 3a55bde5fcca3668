import type { RedisConfig } from '../config.types';
import { EnvString, EnvUrl } from '../env-decorators';

/** Shared caches and counters; unset: they live in process memory. */
export class RedisVariables {
  @EnvUrl(['redis:', 'rediss:'])
  REDIS_URL?: string;

  /** Several deployments (or test runs) may share one Redis under different prefixes. */
  @EnvString()
  REDIS_KEY_PREFIX = 'gatehouse:';
}

export function toRedisConfig(vars: RedisVariables): RedisConfig {
  return { url: vars.REDIS_URL ?? null, keyPrefix: vars.REDIS_KEY_PREFIX };
}
