import type {
  BootstrapConfig,
  DatabaseConfig,
  DnsConfig,
  HttpConfig,
  LogConfig,
  MailConfig,
  OutboundConfig,
  RedisConfig,
  SecurityConfig,
  SocialConfig,
  TokenConfig,
} from './config.types';

/**
 * The validated, typed configuration of one Gatehouse instance.
 *
 * It is a class (not an interface) so that Nest can inject it by type, and it is frozen once
 * built: nothing reads `process.env` after boot, so every value here is what the instance
 * runs with.
 */
export class AppConfig {
  readonly env!: 'development' | 'production' | 'test';
  /** NODE_ENV=development on loopback (`isLocalDevelopment`): mailed links may be logged. */
  readonly localDevelopment!: boolean;
  readonly http!: HttpConfig;
  readonly database!: DatabaseConfig;
  readonly redis!: RedisConfig;
  readonly tokens!: TokenConfig;
  readonly security!: SecurityConfig;
  readonly bootstrap!: BootstrapConfig;
  readonly mail!: MailConfig;
  readonly social!: SocialConfig;
  readonly dns!: DnsConfig;
  readonly outbound!: OutboundConfig;
  readonly log!: LogConfig;
  /** Lines the operator should read at start (insecure development defaults, and so on). */
  readonly warnings!: readonly string[];

  static of(values: Omit<AppConfig, 'isProduction'>): AppConfig {
    return Object.freeze(Object.assign(new AppConfig(), values));
  }

  get isProduction(): boolean {
    return this.env === 'production';
  }
}
