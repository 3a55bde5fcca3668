import { AppConfig } from './app-config';
import { JWT_ALGORITHMS, type JwtAlgorithm } from './config.types';
import { DEVELOPMENT_HOST, developmentModeLine, isLocalDevelopment } from './development-mode';
import { readKeyEncryptionKeys } from './key-encryption-keys';
import { isDnsServer } from './dns-servers';
import { parseAllowlistEntry } from './upstream-allowlist';
import { type Env, EnvReader, isExactOrigin, stripTrailingSlash } from './env-reader';
import { pair, readOidcProviders, readRateLimits } from './section-readers';

/** Thrown with every problem found, one per line, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const INSECURE_DEV_KEY_MATERIAL = 'gatehouse-insecure-development-key-do-not-use-in-production';

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
