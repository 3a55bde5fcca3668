export const JWT_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface HttpConfig {
  readonly port: number;
  readonly host: string;
  /** `METRICS_PORT`: /metrics on HOST at this port only; null: on the public listener. */
  readonly metricsPort: number | null;
  /** External base URL without a trailing slash. */
  readonly publicUrl: string;
  /**
   * Base URL of the pages the user's browser opens from a mailed link (reset password, verify
   * email, accept an invite), without a trailing slash. `APP_URL`, default `PUBLIC_URL`.
   */
  readonly appUrl: string;
  readonly trustProxy: boolean;
  readonly corsOrigins: readonly string[];
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Where social and SSO logins may send the browser back to (exact, query string ignored). */
  readonly appRedirectAllowlist: readonly string[];
}

export interface DatabaseConfig {
  readonly kind: 'sqlite' | 'postgres';
  /** PostgreSQL connection URL; null on SQLite. */
  readonly url: string | null;
  /** SQLite file, or `:memory:`; null on PostgreSQL. */
  readonly path: string | null;
}

export interface RedisConfig {
  /** null: caches and counters live in process memory. */
  readonly url: string | null;
  /** Prefix of every key and channel, so that several deployments (or test runs) can share one Redis. */
  readonly keyPrefix: string;
}

export interface TokenConfig {
  /** `PUBLIC_URL/oidc`: one issuer for every access token, whoever minted it. */
  readonly issuer: string;
  readonly audience: string;
  readonly alg: JwtAlgorithm;
  /** Only with HS256. */
  readonly jwtSecret: string | null;
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  readonly sessionMaxAge: number;
}

export interface RateLimitRule {
  /** Requests allowed per window. */
  readonly limit: number;
  /** Window length in seconds. */
  readonly ttl: number;
}

export interface RateLimitConfig {
  /** Per client IP, for routes that carry no credentials. */
  readonly anonymous: RateLimitRule;
  /** Per user or API key, by the plan of its tenant. */
  readonly tiers: Readonly<Record<'free' | 'pro' | 'enterprise', RateLimitRule>>;
  /**
   * Stricter limits on the credential routes, per client IP; the `oidc*` rules limit the OAuth
   * engine's endpoints, per client IP and client.
   */
  readonly routes: Readonly<
    Record<
      | 'login'
      | 'register'
      | 'passwordForgot'
      | 'passwordReset'
      | 'refresh'
      | 'oidcAuthorize'
      | 'oidcToken'
      | 'oidcIntrospection'
      | 'oidcUserinfo',
      RateLimitRule
    >
  >;
}

export interface SecurityConfig {
  /** The newest of `keyEncryptionKeys`: what HKDF turns into the key that seals secrets now. */
  readonly keyEncryptionKey: string;
  /** Newest first; every one still opens what it sealed (`KEY_ENCRYPTION_KEYS`). */
  readonly keyEncryptionKeys: readonly string[];
  /** Rotate the signing key when the active one is older than this; 0: never on a schedule. */
  readonly signingKeyRotationDays: number;
  /** null when `RATE_LIMITS=off`. */
  readonly rateLimits: RateLimitConfig | null;
  readonly lockoutThreshold: number;
}

export interface BootstrapConfig {
  readonly tenantSlug: string;
  readonly adminEmail: string;
  /** null: a password is generated and printed once. */
  readonly adminPassword: string | null;
  /** Where a generated password goes when stdout is not a terminal (a log stream). */
  readonly passwordOutput: string;
}

export interface MailConfig {
  /** null: mails are logged instead of sent. */
  readonly smtpUrl: string | null;
  readonly from: string;
}

export interface OidcProviderSettings {
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface SocialConfig {
  readonly google: { readonly clientId: string; readonly clientSecret: string } | null;
  readonly github: { readonly clientId: string; readonly clientSecret: string } | null;
  readonly oidcProviders: readonly OidcProviderSettings[];
  /** Where the built-in providers live; moved only to point tests at local servers. */
  readonly endpoints: {
    /** Google's OIDC issuer (discovery document under `/.well-known/openid-configuration`). */
    readonly googleIssuer: string;
    /** GitHub's web origin: `/login/oauth/authorize` and `/login/oauth/access_token`. */
    readonly githubUrl: string;
    /** GitHub's REST API: `/user` and `/user/emails`. */
    readonly githubApiUrl: string;
  };
  /** Bound of every request to a provider (discovery, token, userinfo, JWKS, GitHub API). */
  readonly httpTimeoutMs: number;
}

export interface DnsConfig {
  /**
   * `DNS_SERVERS` (`ip[:port]`): the one resolver setting of the app, for domain-verification
   * TXT lookups and the outbound client's address lookups; empty: the system's.
   */
  readonly servers: readonly string[];
}

export interface OutboundConfig {
  /** `UPSTREAM_PRIVATE_ALLOWLIST`: host names, addresses or CIDRs tenant-configured URLs may reach. */
  readonly privateAllowlist: readonly string[];
  /** Loopback is reachable from tenant-configured URLs outside production (local IdPs) only. */
  readonly allowLoopback: boolean;
}

export interface LogConfig {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly format: 'json' | 'pretty';
}
