import { Type } from 'class-transformer';
import { IsInt, Max, Min, ValidateBy, ValidateNested } from 'class-validator';
import type { RateLimitConfig, RateLimitRule } from '../config.types';
import { compose, EnvInt, EnvJson, IfPresent, isRecord } from '../env-decorators';
import { DEFAULT_RATE_LIMITS } from '../rate-limit.defaults';

const COUNT = 'must be a whole number from 1 to 10000000';

const Count = (): PropertyDecorator =>
  compose(
    IfPresent(),
    IsInt({ message: COUNT }),
    Min(1, { message: COUNT }),
    Max(10_000_000, { message: COUNT }),
  );

/** An object given where one is expected, then checked against `schema`. */
function Nested(schema: () => new () => object, expected: string): PropertyDecorator {
  return compose(
    IfPresent(),
    ValidateBy({
      name: 'isObject',
      validator: { validate: isRecord, defaultMessage: () => expected },
    }),
    ValidateNested(),
    Type(schema),
  );
}

/** Overrides one `{limit, ttl}` rule; what it leaves out keeps its default. */
class RuleOverride {
  @Count() limit?: number;
  @Count() ttl?: number;
}

const Rule = (): PropertyDecorator => Nested(() => RuleOverride, 'must be an object {limit, ttl}');

class TiersOverride {
  @Rule() free?: RuleOverride;
  @Rule() pro?: RuleOverride;
  @Rule() enterprise?: RuleOverride;
}

/** One field per rule of `DEFAULT_RATE_LIMITS.routes` (a spec checks that they agree). */
class RoutesOverride {
  @Rule() login?: RuleOverride;
  @Rule() register?: RuleOverride;
  @Rule() passwordForgot?: RuleOverride;
  @Rule() passwordReset?: RuleOverride;
  @Rule() refresh?: RuleOverride;
  @Rule() oidcAuthorize?: RuleOverride;
  @Rule() oidcToken?: RuleOverride;
  @Rule() oidcIntrospection?: RuleOverride;
  @Rule() oidcUserinfo?: RuleOverride;
}

/** The shape of `RATE_LIMITS`: any part of the defaults; unknown names are refused. */
class RateLimitsOverride {
  @Rule() anonymous?: RuleOverride;
  @Nested(() => TiersOverride, 'must be an object') tiers?: TiersOverride;
  @Nested(() => RoutesOverride, 'must be an object') routes?: RoutesOverride;
}

/** Rate limits of the gateway and the lockout of repeated failed logins. */
export class RateLimitVariables {
  /** `off` (benchmarks only), or a JSON override deep-merged over `DEFAULT_RATE_LIMITS`. */
  @EnvJson(RateLimitsOverride, { off: true, expected: 'must be "off" or a JSON object' })
  RATE_LIMITS?: RateLimitsOverride | 'off';

  /** Consecutive failed logins for one (tenant, email) before it is locked. */
  @EnvInt(1, 1000)
  LOCKOUT_THRESHOLD = 10;
}

function merge(base: RateLimitRule, override: RuleOverride | undefined): RateLimitRule {
  return { limit: override?.limit ?? base.limit, ttl: override?.ttl ?? base.ttl };
}

function mergeGroup<K extends string>(
  base: Readonly<Record<K, RateLimitRule>>,
  override: Partial<Record<K, RuleOverride>> | undefined,
): Record<K, RateLimitRule> {
  const merged = {} as Record<K, RateLimitRule>;
  for (const key of Object.keys(base) as K[]) merged[key] = merge(base[key], override?.[key]);
  return merged;
}

/** The limits in force; null when `RATE_LIMITS=off`. */
export function toRateLimitConfig(vars: RateLimitVariables): RateLimitConfig | null {
  const override = vars.RATE_LIMITS;
  if (override === 'off') return null;
  if (override === undefined) return DEFAULT_RATE_LIMITS;
  return {
    anonymous: merge(DEFAULT_RATE_LIMITS.anonymous, override.anonymous),
    tiers: mergeGroup(DEFAULT_RATE_LIMITS.tiers, override.tiers),
    routes: mergeGroup(DEFAULT_RATE_LIMITS.routes, override.routes),
  };
}
