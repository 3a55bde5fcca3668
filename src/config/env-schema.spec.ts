import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';
import { DEFAULT_RATE_LIMITS } from './rate-limit.defaults';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const KEK = 'unit-test-key-encryption-key-0123456789';
const provider = (fields: Record<string, unknown>) => ({
  name: 'okta',
  issuer: 'https://okta.example',
  clientId: 'a',
  clientSecret: 'b',
  ...fields,
});

describe('configuration schemas: one line per problem, named by its variable', () => {
  it('returns a frozen AppConfig; blank variables count as unset and values are trimmed', () => {
    const config = loadConfig({
      PORT: ' 4000 ',
      HOST: '  ',
      TRUST_PROXY: ' YES ',
      NODE_ENV: 'test ',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.http).toMatchObject({ port: 4000, host: '0.0.0.0', trustProxy: true });
    expect(config.http.publicUrl).toBe('http://localhost:4000');
    expect(problems({ TRUST_PROXY: 'maybe' })).toEqual([
      'TRUST_PROXY must be true or false (got "maybe")',
    ]);
    expect(problems({ ALLOW_SQLITE_IN_PRODUCTION: 'sure' })).toEqual([
      'ALLOW_SQLITE_IN_PRODUCTION must be true or false (got "sure")',
    ]);
  });

  it('a bad variable reads as its default, so rules between variables add no noise', () => {
    expect(problems({ PORT: '0', METRICS_PORT: 'bad' })).toEqual([
      'METRICS_PORT must be a whole number from 1 to 65535 (got "bad")',
    ]);
    expect(problems({ JWT_ALG: 'hs256' })).toEqual([
      'JWT_ALG must be one of ES256, RS256, EdDSA, HS256 (got "hs256")',
    ]);
    expect(problems({ REFRESH_TOKEN_TTL: '100', SESSION_MAX_AGE: '99' })).toEqual([
      'SESSION_MAX_AGE must not be shorter than REFRESH_TOKEN_TTL',
    ]);
    expect(problems({ TLS_CERT_FILE: 'cert.pem' })).toEqual([
      'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
    ]);
  });

  it('each bad list entry is a line of its own', () => {
    expect(problems({ CORS_ORIGINS: 'a, https://ok.example, b' })).toEqual([
      'CORS_ORIGINS entry "a" must be an exact origin like https://app.example.com',
      'CORS_ORIGINS entry "b" must be an exact origin like https://app.example.com',
    ]);
    expect(problems({ APP_REDIRECT_ALLOWLIST: 'https://app.example/done, nope' })).toEqual([
      'APP_REDIRECT_ALLOWLIST entry "nope" must be an absolute URL',
    ]);
  });

  it('never echoes a secret or a URL that may hold credentials', () => {
    const found = problems({
      KEY_ENCRYPTION_KEY: 'hunter2-kek',
      JWT_ALG: 'HS256',
      JWT_SECRET: 'hunter2-jwt',
      BOOTSTRAP_ADMIN_PASSWORD: 'hunter2',
      DATABASE_URL: 'postgres://user:hunter2@[db/x',
      REDIS_URL: 'http://user:hunter2@redis',
      OIDC_PROVIDERS: JSON.stringify([provider({ clientSecret: 'hunter2', issuer: 'ftp://x' })]),
    });
    expect(found).toEqual([
      'DATABASE_URL must be a valid URL',
      'REDIS_URL must be a redis: or rediss: URL',
      'KEY_ENCRYPTION_KEY must be at least 32 characters',
      'BOOTSTRAP_ADMIN_PASSWORD must be 8 to 128 characters',
      'OIDC_PROVIDERS[0].issuer must be an http(s) URL',
      'JWT_SECRET must be at least 32 bytes when JWT_ALG=HS256',
    ]);
    expect(found.join('\n')).not.toContain('hunter2');
  });

  it('KEY_ENCRYPTION_KEYS: long enough, each once, and not with KEY_ENCRYPTION_KEY', () => {
    expect(problems({ KEY_ENCRYPTION_KEYS: `${KEK},short` })).toEqual([
      'KEY_ENCRYPTION_KEYS must list keys of at least 32 characters each',
    ]);
    expect(problems({ KEY_ENCRYPTION_KEYS: `${KEK},${KEK}` })).toEqual([
      'KEY_ENCRYPTION_KEYS lists a key twice',
    ]);
    expect(problems({ KEY_ENCRYPTION_KEYS: KEK, KEY_ENCRYPTION_KEY: KEK })).toEqual([
      'Set KEY_ENCRYPTION_KEYS or KEY_ENCRYPTION_KEY, not both',
    ]);
  });

  it('RATE_LIMITS names the path of each problem inside the JSON', () => {
    expect(
      problems({
        RATE_LIMITS: JSON.stringify({
          tiers: { gold: { limit: 1 }, pro: { limit: -1, ttl: 'x', burst: 1 } },
          routes: [],
          anonymous: null,
          extra: 1,
        }),
      }),
    ).toEqual([
      'RATE_LIMITS.extra is unknown',
      'RATE_LIMITS.anonymous must be an object {limit, ttl}',
      'RATE_LIMITS.tiers.gold is unknown',
      'RATE_LIMITS.tiers.pro.burst is unknown',
      'RATE_LIMITS.tiers.pro.limit must be a whole number from 1 to 10000000',
      'RATE_LIMITS.tiers.pro.ttl must be a whole number from 1 to 10000000',
      'RATE_LIMITS.routes must be an object',
    ]);
    for (const notAnObject of ['5', '[]', 'null', '"off"']) {
      expect(problems({ RATE_LIMITS: notAnObject }), notAnObject).toEqual([
        'RATE_LIMITS must be "off" or a JSON object',
      ]);
    }
    expect(loadConfig({ RATE_LIMITS: 'OFF' }).security.rateLimits).toBeNull();
  });

  it('JSON names that class-transformer would drop unread are refused', () => {
    expect(problems({ RATE_LIMITS: '{"__proto__":{"limit":1}}' })).toEqual([
      'RATE_LIMITS must not use the name "__proto__"',
    ]);
    expect(problems({ OIDC_PROVIDERS: '[{"constructor":{}}]' })).toEqual([
      'OIDC_PROVIDERS must not use the name "constructor"',
    ]);
  });

  it('RATE_LIMITS accepts every rule the defaults have, and overrides only what it names', () => {
    const override = {
      anonymous: { limit: 1 },
      tiers: Object.fromEntries(Object.keys(DEFAULT_RATE_LIMITS.tiers).map((k) => [k, { ttl: 7 }])),
      routes: Object.fromEntries(
        Object.keys(DEFAULT_RATE_LIMITS.routes).map((k) => [k, { limit: 3 }]),
      ),
    };
    const limits = loadConfig({ RATE_LIMITS: JSON.stringify(override) }).security.rateLimits;
    expect(limits?.anonymous).toEqual({ limit: 1, ttl: DEFAULT_RATE_LIMITS.anonymous.ttl });
    for (const [name, rule] of Object.entries(DEFAULT_RATE_LIMITS.routes)) {
      expect(limits?.routes[name as keyof typeof limits.routes]).toEqual({
        limit: 3,
        ttl: rule.ttl,
      });
    }
    expect(limits?.tiers.pro).toEqual({ limit: DEFAULT_RATE_LIMITS.tiers.pro.limit, ttl: 7 });
  });

  it('OIDC_PROVIDERS: each entry reports its first problem; names are unique; no unknown fields', () => {
    expect(
      problems({
        OIDC_PROVIDERS: JSON.stringify([
          1,
          null,
          { name: 'Bad Name', issuer: 'ftp://x' },
          provider({ issuer: 'ftp://x', clientId: '' }),
          provider({ clientSecret: '' }),
          provider({ scope: 'openid' }),
        ]),
      }),
    ).toEqual([
      'OIDC_PROVIDERS[0] must be an object',
      'OIDC_PROVIDERS[1] must be an object',
      'OIDC_PROVIDERS[2].name must match ^[a-z][a-z0-9-]{1,31}$',
      'OIDC_PROVIDERS[3].issuer must be an http(s) URL',
      'OIDC_PROVIDERS[4].clientSecret is required',
      'OIDC_PROVIDERS[5].scope is unknown',
    ]);
    expect(
      problems({ OIDC_PROVIDERS: JSON.stringify([provider({}), provider({ name: 'github' })]) }),
    ).toEqual(['OIDC_PROVIDERS[1].name "github" is used twice']);
    expect(problems({ OIDC_PROVIDERS: JSON.stringify([provider({}), provider({})]) })).toEqual([
      'OIDC_PROVIDERS[1].name "okta" is used twice',
    ]);
    expect(problems({ OIDC_PROVIDERS: '{}' })).toEqual([
      'OIDC_PROVIDERS must be a JSON array of {name, issuer, clientId, clientSecret}',
    ]);
    expect(problems({ OIDC_PROVIDERS: 'nope' })).toEqual(['OIDC_PROVIDERS must be valid JSON']);
  });

  it('production refuses SQLite and wildcard CORS, and warns about plain-http providers', () => {
    const production = { NODE_ENV: 'production', KEY_ENCRYPTION_KEY: KEK };
    expect(problems({ ...production, CORS_ORIGINS: '*' })).toEqual([
      'CORS_ORIGINS must not be a wildcard in production',
      'DATABASE_URL is required in production (or set ALLOW_SQLITE_IN_PRODUCTION=true to run on SQLite)',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).http.corsOrigins).toEqual(['*']);
    const config = loadConfig({
      ...production,
      DATABASE_URL: 'postgres://u@h/db',
      GITHUB_URL: 'http://github.local',
      OIDC_PROVIDERS: JSON.stringify([provider({ issuer: 'http://okta.local/' })]),
    });
    expect(config.social.oidcProviders[0]?.issuer).toBe('http://okta.local');
    expect(config.warnings).toEqual(
      expect.arrayContaining([
        'GITHUB_URL is plain http: provider answers are not protected in transit.',
        'OIDC_PROVIDERS "okta" issuer is plain http: provider answers are not protected in transit.',
      ]),
    );
    expect(config.warnings.join()).not.toContain('GOOGLE_ISSUER');
  });
});
