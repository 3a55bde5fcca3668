import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from './rate-limit.defaults';
import { ConfigError, loadConfig } from './load-config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const KEK = { KEY_ENCRYPTION_KEY: 'unit-test-key-encryption-key-0123456789' };

describe('loadConfig', () => {
  it('has working defaults for development', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.http).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      trustProxy: false,
      corsOrigins: [],
    });
    expect(config.tokens).toMatchObject({
      issuer: 'http://localhost:3000/oidc',
      audience: 'http://localhost:3000',
      alg: 'ES256',
      accessTokenTtl: 900,
      refreshTokenTtl: 2_592_000,
      sessionMaxAge: 7_776_000,
    });
    expect(config.database).toEqual({ kind: 'sqlite', url: null, path: './data/gatehouse.sqlite' });
    expect(config.security.rateLimits).toEqual(DEFAULT_RATE_LIMITS);
    expect(config.security.lockoutThreshold).toBe(10);
    expect(config.log).toEqual({ level: 'info', format: 'pretty' });
    expect(config.localDevelopment).toBe(true);
    expect(config.warnings[0]).toBe(
      'development mode: insecure built-in key, mail links logged — not for production',
    );
  });

  it('the built-in key serves only development on loopback with a localhost PUBLIC_URL (F19)', () => {
    for (const env of [
      {},
      { NODE_ENV: 'development', HOST: '127.0.0.1', PUBLIC_URL: 'http://127.0.0.1:3000' },
      { HOST: '::1', PUBLIC_URL: 'http://[::1]:8080' },
      { HOST: 'localhost', PORT: '4000' },
    ]) {
      const config = loadConfig(env);
      expect(config.localDevelopment, JSON.stringify(env)).toBe(true);
      expect(config.security.keyEncryptionKeys).toHaveLength(1);
    }
    const refused: [Record<string, string>, string][] = [
      [{ HOST: '0.0.0.0' }, 'HOST is "0.0.0.0", not loopback'],
      [{ NODE_ENV: 'development', HOST: '10.0.0.5' }, 'HOST is "10.0.0.5", not loopback'],
      [{ PUBLIC_URL: 'https://localhost:3000' }, 'PUBLIC_URL is https://localhost:3000, not'],
      [{ PUBLIC_URL: 'http://id.example.com' }, 'PUBLIC_URL is http://id.example.com, not'],
      [{ PUBLIC_URL: 'http://localhost.example.com' }, 'PUBLIC_URL is http://localhost.example'],
      [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY declares a proxy in front'],
    ];
    for (const [env, reason] of refused) {
      const found = problems(env);
      expect(found, JSON.stringify(env)).toHaveLength(1);
      expect(found[0]).toMatch(/^KEY_ENCRYPTION_KEY is required \(at least 32 random characters\)/);
      expect(found[0]).toContain(reason);
    }
    // With a key of its own, a reachable development instance starts, and logs no mail links.
    const reachable = loadConfig({ HOST: '0.0.0.0', KEY_ENCRYPTION_KEY: 'k'.repeat(40) });
    expect(reachable.localDevelopment).toBe(false);
    expect(reachable.warnings[0]).toMatch(/^development mode on a reachable address/);
    expect(problems({ NODE_ENV: 'production', HOST: '127.0.0.1' })).toContain(
      'KEY_ENCRYPTION_KEY is required in production (at least 32 random characters)',
    );
    expect(
      loadConfig({
        NODE_ENV: 'production',
        KEY_ENCRYPTION_KEY: 'k'.repeat(40),
        ALLOW_SQLITE_IN_PRODUCTION: 'true',
      }).http.host,
    ).toBe('0.0.0.0');
    // Tests never serve anyone: they keep the built-in key, with the warning, and log no links.
    const test = loadConfig({ NODE_ENV: 'test', HOST: '0.0.0.0' });
    expect(test.localDevelopment).toBe(false);
    expect(test.warnings.join()).toContain('KEY_ENCRYPTION_KEY is not set');
  });

  it('reports every problem at once, one line each, without echoing secrets', () => {
    const found = problems({
      PORT: 'eighty',
      JWT_ALG: 'none',
      DATABASE_URL: 'mysql://user:hunter2@db/x',
      KEY_ENCRYPTION_KEY: 'short',
      ACCESS_TOKEN_TTL: '-5',
      CORS_ORIGINS: 'https://ok.example,not a url',
      LOG_LEVEL: 'loud',
    });
    expect(found).toHaveLength(7);
    expect(found.join('\n')).not.toContain('hunter2');
    expect(found.join('\n')).not.toContain('short');
    expect(found.some((line) => line.startsWith('PORT '))).toBe(true);
    expect(found.some((line) => line.startsWith('JWT_ALG '))).toBe(true);
  });

  it('production refuses a missing key-encryption key, wildcard CORS and SQLite', () => {
    const found = problems({ NODE_ENV: 'production', CORS_ORIGINS: '*' });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^KEY_ENCRYPTION_KEY is required in production/),
        expect.stringMatching(/^CORS_ORIGINS must not be a wildcard in production/),
        expect.stringMatching(/^DATABASE_URL is required in production/),
      ]),
    );
    const allowed = loadConfig({
      NODE_ENV: 'production',
      KEY_ENCRYPTION_KEY: 'k'.repeat(40),
      ALLOW_SQLITE_IN_PRODUCTION: 'true',
    });
    expect(allowed.database.kind).toBe('sqlite');
    expect(allowed.warnings.join()).toContain('TLS');
  });

  it('METRICS_PORT: unset keeps /metrics on the public listener; else a port other than PORT', () => {
    expect(loadConfig({}).http.metricsPort).toBeNull();
    expect(loadConfig({ METRICS_PORT: '9464' }).http.metricsPort).toBe(9464);
    expect(problems({ METRICS_PORT: '3000' })).toEqual(['METRICS_PORT must differ from PORT']);
    expect(problems({ METRICS_PORT: '0' })).toEqual([
      expect.stringMatching(/^METRICS_PORT must be/),
    ]);
  });

  it('APP_URL is the base of mailed links, PUBLIC_URL by default', () => {
    expect(loadConfig({ ...KEK, PUBLIC_URL: 'https://id.example.com/' }).http.appUrl).toBe(
      'https://id.example.com',
    );
    expect(
      loadConfig({
        ...KEK,
        PUBLIC_URL: 'https://id.example.com',
        APP_URL: 'https://app.example.com/',
      }).http.appUrl,
    ).toBe('https://app.example.com');
    expect(problems({ APP_URL: 'javascript:alert(1)' })).toEqual([
      expect.stringMatching(/^APP_URL must be a http: or https: URL/),
    ]);
  });

  it('DNS_SERVERS: IP addresses with optional ports, the system resolver by default', () => {
    expect(loadConfig({}).dns.servers).toEqual([]);
    expect(
      loadConfig({ DNS_SERVERS: '127.0.0.1:5353, 10.0.0.2,[::1]:53,fd00::2' }).dns.servers,
    ).toEqual(['127.0.0.1:5353', '10.0.0.2', '[::1]:53', 'fd00::2']);
    for (const bad of [
      'dns.example.com:53',
      '127.0.0.1:0',
      '127.0.0.1:70000',
      '300.1.1.1',
      '[::1',
    ]) {
      expect(problems({ DNS_SERVERS: bad }), bad).toEqual([
        expect.stringMatching(/^DNS_SERVERS entry .* must be an IP address/),
      ]);
    }
  });

  it('UPSTREAM_PRIVATE_ALLOWLIST: hosts, addresses or CIDRs, empty by default; loopback only outside production', () => {
    expect(loadConfig({}).outbound).toEqual({ privateAllowlist: [], allowLoopback: true });
    expect(
      loadConfig({
        UPSTREAM_PRIVATE_ALLOWLIST: 'idp.corp.internal, 10.20.0.0/16,[fd00::1],fd00::/8',
      }).outbound.privateAllowlist,
    ).toEqual(['idp.corp.internal', '10.20.0.0/16', '[fd00::1]', 'fd00::/8']);
    for (const bad of ['10.0.0.0/33', 'https://idp.example', 'idp_corp', '300.1.1.1']) {
      expect(problems({ UPSTREAM_PRIVATE_ALLOWLIST: bad }), bad).toEqual([
        expect.stringMatching(/^UPSTREAM_PRIVATE_ALLOWLIST entry .* must be a host name/),
      ]);
    }
    const production = loadConfig({
      NODE_ENV: 'production',
      KEY_ENCRYPTION_KEY: 'k'.repeat(40),
      ALLOW_SQLITE_IN_PRODUCTION: 'true',
    });
    expect(production.outbound.allowLoopback).toBe(false);
  });

  it('HS256 needs a secret of at least 32 bytes', () => {
    expect(problems({ JWT_ALG: 'HS256' })).toEqual([expect.stringMatching(/^JWT_SECRET/)]);
    expect(problems({ JWT_ALG: 'HS256', JWT_SECRET: 's'.repeat(31) })).toHaveLength(1);
    expect(loadConfig({ JWT_ALG: 'HS256', JWT_SECRET: 's'.repeat(32) }).tokens.jwtSecret).toBe(
      's'.repeat(32),
    );
  });

  it('RATE_LIMITS: off, or a deep override checked field by field', () => {
    expect(loadConfig({ RATE_LIMITS: 'off' }).security.rateLimits).toBeNull();
    const merged = loadConfig({
      RATE_LIMITS: '{"tiers":{"pro":{"limit":5}},"routes":{"login":{"ttl":30}}}',
    }).security.rateLimits;
    expect(merged?.tiers.pro).toEqual({ limit: 5, ttl: 60 });
    expect(merged?.routes.login).toEqual({
      limit: DEFAULT_RATE_LIMITS.routes.login.limit,
      ttl: 30,
    });
    expect(problems({ RATE_LIMITS: '{"tiers":{"gold":{"limit":1}}}' })).toEqual([
      'RATE_LIMITS.tiers.gold is unknown',
    ]);
    expect(problems({ RATE_LIMITS: '{"anonymous":{"limit":0}}' })).toEqual([
      expect.stringMatching(/anonymous.limit/),
    ]);
    expect(problems({ RATE_LIMITS: '{' })).toEqual(['RATE_LIMITS must be valid JSON']);
  });

  it('PostgreSQL when DATABASE_URL is set; API_AUDIENCE defaults to PUBLIC_URL', () => {
    const config = loadConfig({
      ...KEK,
      DATABASE_URL: 'postgres://u@h/db',
      PUBLIC_URL: 'https://id.example.com/',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db', path: null });
    expect(config.tokens.issuer).toBe('https://id.example.com/oidc');
    expect(config.tokens.audience).toBe('https://id.example.com');
  });

  it('OIDC_PROVIDERS is a validated JSON list', () => {
    const config = loadConfig({
      OIDC_PROVIDERS:
        '[{"name":"okta","issuer":"https://okta.example/","clientId":"a","clientSecret":"b"}]',
    });
    expect(config.social.oidcProviders).toEqual([
      { name: 'okta', issuer: 'https://okta.example', clientId: 'a', clientSecret: 'b' },
    ]);
    expect(problems({ OIDC_PROVIDERS: '[{"name":"Bad Name"}]' })).toHaveLength(1);
    expect(problems({ GOOGLE_CLIENT_ID: 'x' })).toEqual([
      'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together',
    ]);
  });

  it('social provider endpoints default to the real providers and may be moved', () => {
    expect(loadConfig({}).social).toMatchObject({
      endpoints: {
        googleIssuer: 'https://accounts.google.com',
        githubUrl: 'https://github.com',
        githubApiUrl: 'https://api.github.com',
      },
      httpTimeoutMs: 5000,
    });
    const moved = loadConfig({
      GOOGLE_ISSUER: 'http://127.0.0.1:4000/',
      GITHUB_URL: 'http://127.0.0.1:4001',
      GITHUB_API_URL: 'http://127.0.0.1:4001/api',
      SOCIAL_HTTP_TIMEOUT_MS: '750',
    }).social;
    expect(moved.endpoints).toEqual({
      googleIssuer: 'http://127.0.0.1:4000',
      githubUrl: 'http://127.0.0.1:4001',
      githubApiUrl: 'http://127.0.0.1:4001/api',
    });
    expect(moved.httpTimeoutMs).toBe(750);
    expect(problems({ GITHUB_URL: 'ftp://github.example', SOCIAL_HTTP_TIMEOUT_MS: '5' })).toEqual([
      'GITHUB_URL must be a http: or https: URL',
      'SOCIAL_HTTP_TIMEOUT_MS must be a whole number from 100 to 60000 (got "5")',
    ]);
  });
});
