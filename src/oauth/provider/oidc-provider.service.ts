import { Injectable, type OnModuleInit } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Provider } from 'oidc-provider';
import { KeyStoreService } from '../../auth/keys/key-store.service';
import { safeEqual, sha256Hex } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app-config';
import { OidcAuditListener } from './oidc-audit-listener';
import { OidcConfiguration } from './oidc-configuration';

/** Where the engine is mounted: the issuer is `PUBLIC_URL/oidc`. */
const MOUNT = '/oidc';
/** Paths under `/oidc` that Gatehouse's own controllers serve (login and consent pages, CSS). */
const OWN_PATHS = ['/interaction/', '/assets/'];

/**
 * A request target in origin form (`/oidc/token?x=1`). HTTP/1.1 servers must also accept the
 * absolute form (`http://host/oidc/token`, RFC 9112 §3.2.2), which some proxies send.
 */
function originForm(url: string | undefined): string | undefined {
  if (url === undefined || url.startsWith('/')) return url;
  const parsed = URL.parse(url);
  return parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:')
    ? `${parsed.pathname}${parsed.search}`
    : undefined;
}

/**
 * Gatehouse's OAuth 2.0 / OpenID Connect authorization server: `oidc-provider`, configured to
 * keep its state in Gatehouse's database, sign with Gatehouse's keys and issue access tokens in
 * Gatehouse's one format, mounted under `/oidc` by `configureApp`.
 */
@Injectable()
export class OidcProviderService implements OnModuleInit {
  private current: {
    provider: Provider;
    callback: ReturnType<Provider['callback']>;
    keys: string;
  } | null = null;
  private readonly cookieKey: string;
  readonly csrfKey: Buffer;

  constructor(
    private readonly config: AppConfig,
    private readonly keyStore: KeyStoreService,
    private readonly configuration: OidcConfiguration,
    private readonly events: OidcAuditListener,
  ) {
    const derive = (info: string) =>
      Buffer.from(
        hkdfSync(
          'sha256',
          Buffer.from(config.security.keyEncryptionKey, 'utf8'),
          Buffer.from('gatehouse.oidc', 'utf8'),
          Buffer.from(info, 'utf8'),
          32,
        ),
      );
    // Every instance derives the same keys, so a cookie signed by one is good on the others.
    this.cookieKey = derive('cookie signing key v1').toString('base64url');
    this.csrfKey = derive('interaction csrf key v1');
  }

  onModuleInit(): void {
    this.provider();
  }

  /**
   * The provider, rebuilt when the signing keys changed (a rotation here or on another
   * instance), so that it signs with the active key and never with one the JWKS dropped.
   */
  provider(): Provider {
    const keys = this.keyStore.keySetSignature;
    if (!this.current || this.current.keys !== keys) {
      const provider = this.build();
      this.current = { provider, callback: provider.callback(), keys };
    }
    return this.current.provider;
  }

  /**
   * The request's URL as the engine sees it (`/token?x=1` for `/oidc/token?x=1`), or null when
   * the request is not for the engine: outside `/oidc`, or one of Gatehouse's own login and
   * consent pages and their assets, which Nest's controllers serve.
   */
  engineUrl(url: string | undefined): string | null {
    const target = originForm(url);
    if (target === undefined || !target.startsWith(MOUNT)) return null;
    const rest = target.slice(MOUNT.length);
    if (rest === '' || rest[0] === '?') return `/${rest}`;
    if (rest[0] !== '/' || OWN_PATHS.some((prefix) => rest.startsWith(prefix))) return null;
    return rest;
  }

  /**
   * Hands a request to oidc-provider as if mounted at `/oidc`, given its `engineUrl` (the engine
   * finds its mount path by comparing `originalUrl` with `url`).
   */
  handle(
    req: IncomingMessage & { originalUrl?: string },
    res: ServerResponse,
    engineUrl: string,
  ): void {
    req.originalUrl = `${MOUNT}${engineUrl}`;
    req.url = engineUrl;
    this.provider();
    void this.current?.callback(req, res);
  }

  private build(): Provider {
    const provider = new Provider(
      this.config.tokens.issuer,
      this.configuration.build(this.cookieKey),
    );
    provider.proxy = this.config.http.trustProxy;
    this.overrideSecretComparison(provider);
    this.events.attach(provider);
    return provider;
  }

  /**
   * oidc-provider compares a presented client secret with the client's `client_secret`
   * metadata (`Client#compareClientSecret`, a constant-time string comparison). Gatehouse
   * stores only the SHA-256 of a secret, and hands that hash to the provider as
   * `client_secret`; this override hashes the presented secret first, so the comparison is
   * between two hashes, still in constant time. It is sound because nothing else reads
   * `client_secret`: HMAC-based client authentication (`client_secret_jwt`), HS-signed ID
   * tokens, and symmetric encryption — which would use the hash as a key — are all disabled.
   */
  private overrideSecretComparison(provider: Provider): void {
    const prototype = provider.Client.prototype as unknown as {
      clientSecret?: string;
      compareClientSecret(actual: string): boolean;
    };
    prototype.compareClientSecret = function compareHashed(
      this: { clientSecret?: string },
      actual,
    ) {
      if (typeof this.clientSecret !== 'string' || typeof actual !== 'string') return false;
      return safeEqual(this.clientSecret, sha256Hex(actual));
    };
  }
}
