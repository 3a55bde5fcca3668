import { AppConfig } from './app-config';
import {
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type OidcProviderSettings,
  type RateLimitConfig,
  type RateLimitRule,
} from './config.types';
import { DEVELOPMENT_HOST, developmentModeLine, isLocalDevelopment } from './development-mode';
import { readKeyEncryptionKeys } from './key-encryption-keys';
import { isDnsServer } from './dns-servers';
import { parseAllowlistEntry } from './upstream-allowlist';
import { DEFAULT_RATE_LIMITS } from './rate-limit.defaults';

/** Thrown with every problem found, one per line, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const INSECURE_DEV_KEY_MATERIAL = 'gatehouse-insecure-development-key-do-not-use-in-production';

/**
 * Reads the environment once, at boot. Values are never echoed back in problems when they
 * might be secret; names and expectations are enough to fix them.
 */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | null {
    return this.raw(name) ?? null;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  url(name: string, fallback: string | null, protocols: readonly string[]): string | null {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
        return fallback;
      }
      return value;
    } catch {
      // The value may hold credentials (database and Redis URLs do): do not echo it.
      this.problems.push(`${name} must be a valid URL`);
      return fallback;
    }
  }

  list(name: string): string[] {
    return (this.raw(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  json(name: string): unknown {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      this.problems.push(`${name} must be valid JSON`);
      return undefined;
    }
  }
}

function stripTrailingSlash(url: string): string {
  // A loop, not `/\/+$/`: that pattern retries from every slash of a long run (quadratic).
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end -= 1;
  return url.slice(0, end);
}

function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return ['http:', 'https:'].includes(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readRateLimits(env: EnvReader): RateLimitConfig | null {
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

function readOidcProviders(env: EnvReader): OidcProviderSettings[] {
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

function pair(env: EnvReader, prefix: string): { clientId: string; clientSecret: string } | null {
  const clientId = env.optional(`${prefix}_CLIENT_ID`);
  const clientSecret = env.optional(`${prefix}_CLIENT_SECRET`);
  if (clientId === null && clientSecret === null) return null;
  if (clientId === null || clientSecret === null) {
    env.problems.push(`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET must be set together`);
    return null;
  }
  return { clientId, clientSecret };
}

/** Builds the configuration from an environment, or throws a `ConfigError` listing every problem. */
export function loadConfig(source: Env): AppConfig {
  const env = new EnvReader(source);
  const warnings: string[] = [];

  const nodeEnv = env.oneOf(
    'NODE_ENV',
    ['development', 'production', 'test'] as const,
    'development',
  );
  const production = nodeEnv === 'production';

  const port = env.int('PORT', 3000, 0, 65535);
  const host = env.string('HOST', nodeEnv === 'development' ? DEVELOPMENT_HOST : '0.0.0.0');
  const metricsPort = env.raw('METRICS_PORT') ? env.int('METRICS_PORT', 0, 1, 65535) : null;
  if (metricsPort === port) env.problems.push('METRICS_PORT must differ from PORT');
  const publicUrl = stripTrailingSlash(
    env.url('PUBLIC_URL', `http://localhost:${port === 0 ? 3000 : port}`, ['http:', 'https:']) ??
      'http://localhost:3000',
  );
  const audience = env.string('API_AUDIENCE', publicUrl);
  const appUrl = stripTrailingSlash(
    env.url('APP_URL', publicUrl, ['http:', 'https:']) ?? publicUrl,
  );

  const corsOrigins = env.list('CORS_ORIGINS');
  for (const origin of corsOrigins) {
    if (origin === '*') {
      if (production) env.problems.push('CORS_ORIGINS must not be a wildcard in production');
      continue;
    }
    if (!isExactOrigin(origin)) {
      env.problems.push(
        `CORS_ORIGINS entry "${origin}" must be an exact origin like https://app.example.com`,
      );
    }
  }

  const appRedirectAllowlist = env.list('APP_REDIRECT_ALLOWLIST');
  for (const entry of appRedirectAllowlist) {
    try {
      new URL(entry);
    } catch {
      env.problems.push(`APP_REDIRECT_ALLOWLIST entry "${entry}" must be an absolute URL`);
    }
  }

  const certFile = env.optional('TLS_CERT_FILE');
  const keyFile = env.optional('TLS_KEY_FILE');
  if ((certFile === null) !== (keyFile === null)) {
    env.problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  const tls = certFile !== null && keyFile !== null ? { certFile, keyFile } : null;
  if (production && tls === null) {
    warnings.push(
      'TLS_CERT_FILE/TLS_KEY_FILE are not set: serving plain HTTP. Terminate TLS 1.3 in front of Gatehouse.',
    );
  }

  const databaseUrl = env.url('DATABASE_URL', null, ['postgres:', 'postgresql:']);
  const databasePath = env.string('DATABASE_PATH', './data/gatehouse.sqlite');
  if (production && databaseUrl === null && !env.bool('ALLOW_SQLITE_IN_PRODUCTION', false)) {
    env.problems.push(
      'DATABASE_URL is required in production (or set ALLOW_SQLITE_IN_PRODUCTION=true to run on SQLite)',
    );
  }

  const redisUrl = env.url('REDIS_URL', null, ['redis:', 'rediss:']);
  const redisKeyPrefix = env.string('REDIS_KEY_PREFIX', 'gatehouse:');

  const alg = env.oneOf<JwtAlgorithm>('JWT_ALG', JWT_ALGORITHMS, 'ES256');
  const jwtSecret = env.optional('JWT_SECRET');
  if (alg === 'HS256' && (jwtSecret === null || Buffer.byteLength(jwtSecret) < 32)) {
    env.problems.push('JWT_SECRET must be at least 32 bytes when JWT_ALG=HS256');
  }

  const trustProxy = env.bool('TRUST_PROXY', false);
  const mode = { nodeEnv, host, publicUrl, trustProxy };
  const keyEncryptionKeys = readKeyEncryptionKeys(env, mode, warnings, INSECURE_DEV_KEY_MATERIAL);
  const modeLine = developmentModeLine(mode, keyEncryptionKeys[0] === INSECURE_DEV_KEY_MATERIAL);
  if (modeLine !== null) warnings.unshift(modeLine);
  // 0 turns scheduled rotation off (an operator who rotates through the API only).
  const signingKeyRotationDays = env.int('SIGNING_KEY_ROTATION_DAYS', 90, 0, 3650);

  const accessTokenTtl = env.int('ACCESS_TOKEN_TTL', 900, 30, 86_400);
  const refreshTokenTtl = env.int('REFRESH_TOKEN_TTL', 2_592_000, 60, 31_536_000);
  const sessionMaxAge = env.int('SESSION_MAX_AGE', 7_776_000, 60, 31_536_000);
  if (sessionMaxAge < refreshTokenTtl) {
    env.problems.push('SESSION_MAX_AGE must not be shorter than REFRESH_TOKEN_TTL');
  }

  const tenantSlug = env.string('BOOTSTRAP_TENANT', 'root');
  if (!/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/.test(tenantSlug)) {
    env.problems.push('BOOTSTRAP_TENANT must be a slug matching ^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$');
  }
  const adminEmail = env.string('BOOTSTRAP_ADMIN_EMAIL', 'admin@localhost').toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(adminEmail)) {
    env.problems.push('BOOTSTRAP_ADMIN_EMAIL must be an email address');
  }
  const adminPassword = env.optional('BOOTSTRAP_ADMIN_PASSWORD');
  if (adminPassword !== null && (adminPassword.length < 8 || adminPassword.length > 128)) {
    env.problems.push('BOOTSTRAP_ADMIN_PASSWORD must be 8 to 128 characters');
  }

  const smtpUrl = env.url('SMTP_URL', null, ['smtp:', 'smtps:']);
  const mailFrom = env.string('MAIL_FROM', 'Gatehouse <no-reply@localhost>');

  const rateLimits = readRateLimits(env);
  if (rateLimits === null) {
    warnings.push('RATE_LIMITS=off: rate limiting is disabled. Use this for benchmarks only.');
  }
  const lockoutThreshold = env.int('LOCKOUT_THRESHOLD', 10, 1, 1000);

  const social = {
    google: pair(env, 'GOOGLE'),
    github: pair(env, 'GITHUB'),
    oidcProviders: readOidcProviders(env),
    endpoints: {
      googleIssuer: stripTrailingSlash(
        env.url('GOOGLE_ISSUER', 'https://accounts.google.com', ['http:', 'https:']) ??
          'https://accounts.google.com',
      ),
      githubUrl: stripTrailingSlash(
        env.url('GITHUB_URL', 'https://github.com', ['http:', 'https:']) ?? 'https://github.com',
      ),
      githubApiUrl: stripTrailingSlash(
        env.url('GITHUB_API_URL', 'https://api.github.com', ['http:', 'https:']) ??
          'https://api.github.com',
      ),
    },
    httpTimeoutMs: env.int('SOCIAL_HTTP_TIMEOUT_MS', 5000, 100, 60_000),
  };
  if (production) {
    const plainHttp = [
      ['GOOGLE_ISSUER', social.endpoints.googleIssuer],
      ['GITHUB_URL', social.endpoints.githubUrl],
      ['GITHUB_API_URL', social.endpoints.githubApiUrl],
      ...social.oidcProviders.map((p) => [`OIDC_PROVIDERS "${p.name}" issuer`, p.issuer]),
    ].filter(([, url]) => url?.startsWith('http://'));
    for (const [name] of plainHttp) {
      warnings.push(`${name} is plain http: provider answers are not protected in transit.`);
    }
  }

  const dnsServers = env.list('DNS_SERVERS');
  for (const entry of dnsServers.filter((server) => !isDnsServer(server))) {
    env.problems.push(
      `DNS_SERVERS entry "${entry}" must be an IP address with an optional port, like 10.0.0.2:53 or [fd00::2]:53`,
    );
  }

  const privateAllowlist = env.list('UPSTREAM_PRIVATE_ALLOWLIST');
  for (const entry of privateAllowlist.filter((item) => parseAllowlistEntry(item) === null)) {
    env.problems.push(
      `UPSTREAM_PRIVATE_ALLOWLIST entry "${entry}" must be a host name, an IP address or a CIDR like 10.0.0.0/8`,
    );
  }

  const logLevel = env.oneOf('LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, 'info');
  const logFormat = env.oneOf(
    'LOG_FORMAT',
    ['json', 'pretty'] as const,
    nodeEnv === 'development' ? 'pretty' : 'json',
  );

  if (env.problems.length > 0) throw new ConfigError(env.problems);

  return AppConfig.of({
    env: nodeEnv,
    localDevelopment: isLocalDevelopment(mode),
    http: {
      port,
      host,
      metricsPort,
      publicUrl,
      appUrl,
      trustProxy,
      corsOrigins,
      tls,
      appRedirectAllowlist,
    },
    database:
      databaseUrl !== null
        ? { kind: 'postgres', url: databaseUrl, path: null }
        : { kind: 'sqlite', url: null, path: databasePath },
    redis: { url: redisUrl, keyPrefix: redisKeyPrefix },
    tokens: {
      issuer: `${publicUrl}/oidc`,
      audience,
      alg,
      jwtSecret: alg === 'HS256' ? jwtSecret : null,
      accessTokenTtl,
      refreshTokenTtl,
      sessionMaxAge,
    },
    security: {
      keyEncryptionKey: keyEncryptionKeys[0] ?? INSECURE_DEV_KEY_MATERIAL,
      keyEncryptionKeys,
      signingKeyRotationDays,
      rateLimits,
      lockoutThreshold,
    },
    bootstrap: {
      tenantSlug,
      adminEmail,
      adminPassword,
      passwordOutput: env.string(
        'BOOTSTRAP_ADMIN_PASSWORD_OUTPUT',
        './data/bootstrap-admin-password',
      ),
    },
    mail: { smtpUrl, from: mailFrom },
    social,
    dns: { servers: dnsServers },
    outbound: { privateAllowlist, allowLoopback: !production },
    log: { level: logLevel, format: logFormat },
    warnings,
  });
}
