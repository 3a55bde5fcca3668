import { AppConfig } from './app-config';
import { developmentModeLine, isLocalDevelopment, type ModeFacts } from './development-mode';
import { type Env, presentValues, readSection } from './env-schema';
import { applyProductionRules } from './production-rules';
import { BootstrapVariables, toBootstrapConfig } from './sections/bootstrap.section';
import { DatabaseVariables, toDatabaseConfig } from './sections/database.section';
import {
  INSECURE_DEV_KEY_MATERIAL,
  KeyVariables,
  toKeyEncryptionKeys,
} from './sections/keys.section';
import { LogVariables, toLogConfig } from './sections/log.section';
import { MailVariables, toMailConfig } from './sections/mail.section';
import { NetworkVariables, toDnsConfig } from './sections/network.section';
import { RateLimitVariables, toRateLimitConfig } from './sections/rate-limits.section';
import { RedisVariables, toRedisConfig } from './sections/redis.section';
import { ServerVariables, toHttpConfig } from './sections/server.section';
import { SocialVariables, toSocialConfig } from './sections/social.section';
import { TokenVariables, toTokenConfig } from './sections/tokens.section';

/** Thrown with every problem found, one per line, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the configuration from an environment, or throws a `ConfigError` listing every problem.
 * Each section's schema checks and converts its own variables (sections/); the rules between
 * variables follow, then what production refuses.
 */
export function loadConfig(source: Env): AppConfig {
  const env = presentValues(source);
  const problems: string[] = [];
  const warnings: string[] = [];
  const read = <T extends object>(schema: new () => T): T => readSection(schema, env, problems);

  const server = read(ServerVariables);
  const database = read(DatabaseVariables);
  const redis = read(RedisVariables);
  const tokens = read(TokenVariables);
  const keys = read(KeyVariables);
  const limits = read(RateLimitVariables);
  const bootstrap = read(BootstrapVariables);
  const mail = read(MailVariables);
  const social = read(SocialVariables);
  const network = read(NetworkVariables);
  const log = read(LogVariables);

  const nodeEnv = server.NODE_ENV;
  const http = toHttpConfig(server, problems);
  const mode: ModeFacts = {
    nodeEnv,
    host: http.host,
    publicUrl: http.publicUrl,
    trustProxy: http.trustProxy,
  };
  const keyEncryptionKeys = toKeyEncryptionKeys(keys, mode, problems, warnings);
  const modeLine = developmentModeLine(mode, keyEncryptionKeys[0] === INSECURE_DEV_KEY_MATERIAL);
  if (modeLine !== null) warnings.unshift(modeLine);
  const rateLimits = toRateLimitConfig(limits);
  if (rateLimits === null) {
    warnings.push('RATE_LIMITS=off: rate limiting is disabled. Use this for benchmarks only.');
  }

  const config = {
    env: nodeEnv,
    localDevelopment: isLocalDevelopment(mode),
    http,
    database: toDatabaseConfig(database),
    redis: toRedisConfig(redis),
    tokens: toTokenConfig(tokens, http.publicUrl, problems),
    security: {
      keyEncryptionKey: keyEncryptionKeys[0] ?? INSECURE_DEV_KEY_MATERIAL,
      keyEncryptionKeys,
      signingKeyRotationDays: keys.SIGNING_KEY_ROTATION_DAYS,
      rateLimits,
      lockoutThreshold: limits.LOCKOUT_THRESHOLD,
    },
    bootstrap: toBootstrapConfig(bootstrap),
    mail: toMailConfig(mail),
    social: toSocialConfig(social, problems),
    dns: toDnsConfig(network),
    outbound: {
      privateAllowlist: network.UPSTREAM_PRIVATE_ALLOWLIST,
      // Loopback is reachable from tenant-configured URLs outside production (local IdPs) only.
      allowLoopback: nodeEnv !== 'production',
    },
    log: toLogConfig(log, nodeEnv),
  };
  if (nodeEnv === 'production') {
    applyProductionRules(
      config,
      { allowSqlite: database.ALLOW_SQLITE_IN_PRODUCTION },
      problems,
      warnings,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return AppConfig.of({ ...config, warnings });
}
