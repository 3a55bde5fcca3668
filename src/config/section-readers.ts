import type { OidcProviderSettings, RateLimitConfig, RateLimitRule } from './config.types';
import { type EnvReader, isRecord, stripTrailingSlash } from './env-reader';
import { DEFAULT_RATE_LIMITS } from './rate-limit.defaults';

/** `RATE_LIMITS`: `off`, or a JSON override deep-merged over the defaults. */
export function readRateLimits(env: EnvReader): RateLimitConfig | null {
  if (env.raw('RATE_LIMITS')?.toLowerCase() === 'off') return null;
  const override = env.json('RATE_LIMITS');
  if (override === undefined) return DEFAULT_RATE_LIMITS;

  const problemsBefore = env.problems.length;
  const rule = (path: string, base: RateLimitRule, value: unknown): RateLimitRule => {
    if (value === undefined) return base;
    if (!isRecord(value)) {
      env.problems.push(`RATE_LIMITS.${path} must be an object {limit, ttl}`);
      return base;
    }
    const merged = { ...base, ...value };
    for (const key of Object.keys(merged)) {
      if (key !== 'limit' && key !== 'ttl')
        env.problems.push(`RATE_LIMITS.${path}.${key} is unknown`);
    }
    for (const key of ['limit', 'ttl'] as const) {
      const n = merged[key];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10_000_000) {
        env.problems.push(`RATE_LIMITS.${path}.${key} must be a whole number from 1 to 10000000`);
      }
    }
    return { limit: Number(merged.limit), ttl: Number(merged.ttl) };
  };
  const group = <K extends string>(
    path: string,
    base: Readonly<Record<K, RateLimitRule>>,
    value: unknown,
  ): Record<K, RateLimitRule> => {
    if (value !== undefined && !isRecord(value)) {
      env.problems.push(`RATE_LIMITS.${path} must be an object`);
      return { ...base };
    }
    const given = value ?? {};
    for (const key of Object.keys(given)) {
      if (!(key in base)) env.problems.push(`RATE_LIMITS.${path}.${key} is unknown`);
    }
    const result = {} as Record<K, RateLimitRule>;
    for (const key of Object.keys(base) as K[]) {
      result[key] = rule(`${path}.${key}`, base[key], given[key]);
    }
    return result;
  };

  if (!isRecord(override)) {
    env.problems.push('RATE_LIMITS must be "off" or a JSON object');
    return DEFAULT_RATE_LIMITS;
  }
  for (const key of Object.keys(override)) {
    if (!['anonymous', 'tiers', 'routes'].includes(key)) {
      env.problems.push(`RATE_LIMITS.${key} is unknown`);
    }
  }
  const limits: RateLimitConfig = {
    anonymous: rule('anonymous', DEFAULT_RATE_LIMITS.anonymous, override.anonymous),
    tiers: group('tiers', DEFAULT_RATE_LIMITS.tiers, override.tiers),
    routes: group('routes', DEFAULT_RATE_LIMITS.routes, override.routes),
  };
  return env.problems.length === problemsBefore ? limits : DEFAULT_RATE_LIMITS;
}

/** `OIDC_PROVIDERS`: extra social OIDC providers, validated one by one. */
export function readOidcProviders(env: EnvReader): OidcProviderSettings[] {
  const value = env.json('OIDC_PROVIDERS');
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    env.problems.push(
      'OIDC_PROVIDERS must be a JSON array of {name, issuer, clientId, clientSecret}',
    );
    return [];
  }
  const providers: OidcProviderSettings[] = [];
  value.forEach((entry: unknown, index) => {
    const at = `OIDC_PROVIDERS[${index}]`;
    if (!isRecord(entry)) {
      env.problems.push(`${at} must be an object`);
      return;
    }
    const { name, issuer, clientId, clientSecret } = entry;
    if (typeof name !== 'string' || !/^[a-z][a-z0-9-]{1,31}$/.test(name)) {
      env.problems.push(`${at}.name must match ^[a-z][a-z0-9-]{1,31}$`);
      return;
    }
    if (['google', 'github'].includes(name) || providers.some((p) => p.name === name)) {
      env.problems.push(`${at}.name "${name}" is used twice`);
      return;
    }
    if (typeof issuer !== 'string' || !/^https?:\/\//.test(issuer)) {
      env.problems.push(`${at}.issuer must be an http(s) URL`);
      return;
    }
    if (typeof clientId !== 'string' || clientId === '') {
      env.problems.push(`${at}.clientId is required`);
      return;
    }
    if (typeof clientSecret !== 'string' || clientSecret === '') {
      env.problems.push(`${at}.clientSecret is required`);
      return;
    }
    providers.push({ name, issuer: stripTrailingSlash(issuer), clientId, clientSecret });
  });
  return providers;
}

/** `<PREFIX>_CLIENT_ID` and `_CLIENT_SECRET`, both or neither. */
export function pair(
  env: EnvReader,
  prefix: string,
): { clientId: string; clientSecret: string } | null {
  const clientId = env.optional(`${prefix}_CLIENT_ID`);
  const clientSecret = env.optional(`${prefix}_CLIENT_SECRET`);
  if (clientId === null && clientSecret === null) return null;
  if (clientId === null || clientSecret === null) {
    env.problems.push(`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET must be set together`);
    return null;
  }
  return { clientId, clientSecret };
}
