import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Account,
  type AccessToken,
  type Adapter,
  type AdapterPayload,
  type ClientCredentials,
  type ClientMetadata,
  type Configuration,
  errors,
  type Grant,
  interactionPolicy,
  type JWTStructured,
  type KoaContextWithOIDC,
  Provider,
  type ResourceServer,
} from 'oidc-provider';
import { AuditService } from '../../audit/audit.service';
import { KeyStoreService } from '../../auth/keys/key-store.service';
import { PrincipalService } from '../../auth/principal/principal.service';
import { AccessTokenService } from '../../auth/tokens/access-token.service';
import { safeEqual, sha256Hex } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app-config';
import type { OAuthClient } from '../entities/oauth-client.entity';
import { OAuthClientDirectory } from '../oauth-client-directory.service';
import { OAuthConsentService } from '../oauth-consent.service';
import { ACCESS_TOKEN_OIDC_SCOPES, API_SCOPES, OAUTH_SCOPES, OIDC_SCOPES } from '../oauth-scopes';
import { errorPage, loggedOutPage, logoutPage, pageCsp } from '../interaction/pages';
import { AlreadyConsumedError, OidcArtifactStore } from './oidc-artifact-store.service';

/** Where the engine is mounted: the issuer is `PUBLIC_URL/oidc`. */
const MOUNT = '/oidc';
/** Paths under `/oidc` that Gatehouse's own controllers serve (login and consent pages, CSS). */
const OWN_PATHS = ['/interaction/', '/assets/'];
const INTERACTION_TTL_S = 10 * 60;
const PROVIDER_SESSION_TTL_S = 12 * 60 * 60;
const ID_TOKEN_TTL_S = 60 * 60;
const CODE_TTL_S = 60;

type AccessTokenRecord = AdapterPayload & { grantId: string };

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

function isJwt(value: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);
}

/**
 * Gatehouse's OAuth 2.0 / OpenID Connect authorization server: `oidc-provider`, configured to
 * keep its state in Gatehouse's database, sign with Gatehouse's keys and issue access tokens in
 * Gatehouse's one format, mounted under `/oidc` by `configureApp`.
 */
@Injectable()
export class OidcProviderService implements OnModuleInit {
  private readonly logger = new Logger('OidcProvider');
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
    private readonly accessTokens: AccessTokenService,
    private readonly clients: OAuthClientDirectory,
    private readonly store: OidcArtifactStore,
    private readonly principals: PrincipalService,
    private readonly consents: OAuthConsentService,
    private readonly audit: AuditService,
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
    const config = this.config;
    const idAlg = this.keyStore.algorithm;
    const active = this.keyStore.activeKey();
    // The active key first: oidc-provider signs ID tokens with the first key that fits.
    const jwks = [active, ...this.keyStore.allKeys().filter((key) => key.kid !== active.kid)].map(
      (key) => ({ ...key.privateJwk, kid: key.kid, alg: key.alg, use: 'sig' }),
    );
    const shared = this.accessTokens.sharedSigningKey();
    const accessTokenSigning: NonNullable<ResourceServer['jwt']>['sign'] = shared
      ? { alg: 'HS256', key: shared.key, kid: shared.kid }
      : { alg: config.tokens.alg as 'ES256', kid: active.kid };
    const audience = config.tokens.audience;
    const overTls = config.http.tls !== null || config.http.publicUrl.startsWith('https://');

    const policy = interactionPolicy.base();
    // oidc-provider's session is shared by every client, but a user signs in to the client's
    // tenant only: an account from another tenant (or no longer active) must sign in again.
    policy
      .get('login')
      ?.checks.add(
        new interactionPolicy.Check(
          'account_unavailable',
          'End-User authentication is required',
          (ctx) =>
            ctx.oidc.session?.accountId !== undefined && ctx.oidc.account === undefined
              ? interactionPolicy.Check.REQUEST_PROMPT
              : interactionPolicy.Check.NO_NEED_TO_PROMPT,
        ),
        0,
      );

    const configuration: Configuration = {
      adapter: (model: string) => this.adapterFor(model),
      findAccount: (ctx, sub) => this.findAccount(ctx, sub),
      claims: {
        openid: ['sub'],
        profile: ['name'],
        email: ['email', 'email_verified'],
      },
      // oidc-provider's own scopes are the OpenID ones; API scopes belong to the resource server.
      scopes: [...OIDC_SCOPES],
      discovery: { scopes_supported: [...OAUTH_SCOPES] },
      clientDefaults: {
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: idAlg,
        token_endpoint_auth_method: 'client_secret_basic',
      },
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
      clientBasedCORS: (_ctx, origin, client) =>
        // Browser apps (public clients) may call the token endpoint from their own origin.
        client.clientAuthMethod === 'none' &&
        origin !== 'null' &&
        (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
      cookies: {
        keys: [this.cookieKey],
        long: { httpOnly: true, sameSite: 'lax', secure: overTls },
        short: { httpOnly: true, sameSite: 'lax', secure: overTls },
      },
      enabledJWA: {
        idTokenSigningAlgValues: [idAlg],
        userinfoSigningAlgValues: [idAlg],
        introspectionSigningAlgValues: [idAlg],
        authorizationSigningAlgValues: [idAlg],
        requestObjectSigningAlgValues: [idAlg],
        // No HMAC client authentication: client secrets are stored only as hashes.
        clientAuthSigningAlgValues: [idAlg],
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: {
          enabled: true,
          allowedPolicy: (_ctx, client, token) => {
            this.requireClientAuthentication(client.clientAuthMethod);
            return token.clientId === client.clientId;
          },
        },
        revocation: {
          enabled: true,
          allowedPolicy: (_ctx, client, token) => {
            this.requireClientAuthentication(client.clientAuthMethod);
            if (token.clientId !== client.clientId) {
              throw new errors.InvalidRequest(
                'client is not authorized to revoke the presented token',
              );
            }
            return true;
          },
        },
        userinfo: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx, form) => this.renderLogout(ctx, form),
          postLogoutSuccessSource: (ctx) => {
            ctx.set('Content-Security-Policy', pageCsp());
            ctx.type = 'html';
            ctx.body = loggedOutPage();
          },
        },
        resourceIndicators: {
          enabled: true,
          // Every access token is for Gatehouse's API, whether or not the client names it.
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (ctx, resource, client) =>
            this.resourceServer(ctx, resource, client.clientId, accessTokenSigning),
        },
        pushedAuthorizationRequests: { enabled: false },
        dPoP: { enabled: false },
      },
      extraTokenClaims: (_ctx, token) => this.extraTokenClaims(token.clientId ?? ''),
      formats: {
        customizers: { jwt: (_ctx, token, jwt) => this.onJwtAccessToken(token, jwt) },
      },
      interactions: {
        policy,
        url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}`,
      },
      loadExistingGrant: (ctx) => this.loadExistingGrant(ctx),
      // S256 only (oidc-provider refuses `plain`); mandatory for public clients.
      pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
      renderError: (ctx, out) => {
        ctx.set('Content-Security-Policy', pageCsp());
        ctx.type = 'html';
        ctx.body = errorPage(
          'Sign-in failed',
          out.error_description ?? 'The request could not be processed.',
        );
      },
      responseTypes: ['code'],
      rotateRefreshToken: true,
      // A client registered for refresh tokens (and `offline_access`) gets one with every code:
      // the tenant's admin made that decision when registering it, and the user consented to
      // `offline_access`. (OIDC would otherwise also want `prompt=consent` on each request.)
      issueRefreshToken: async (_ctx, client) => {
        if (!client.grantTypeAllowed('refresh_token')) return false;
        const record = await this.clients.findByClientId(client.clientId);
        return record?.scopes.includes('offline_access') ?? false;
      },
      // Refresh tokens live by their own lifetime, not by the browser's provider session.
      expiresWithSession: () => false,
      allowOmittingSingleRegisteredRedirectUri: false,
      ttl: {
        AccessToken: config.tokens.accessTokenTtl,
        ClientCredentials: config.tokens.accessTokenTtl,
        AuthorizationCode: CODE_TTL_S,
        IdToken: ID_TOKEN_TTL_S,
        RefreshToken: config.tokens.refreshTokenTtl,
        Grant: config.tokens.sessionMaxAge,
        Interaction: INTERACTION_TTL_S,
        Session: PROVIDER_SESSION_TTL_S,
      },
      jwks: { keys: jwks },
    };

    const provider = new Provider(config.tokens.issuer, configuration);
    provider.proxy = config.http.trustProxy;
    this.overrideSecretComparison(provider);
    this.listen(provider);
    provider.use(async (ctx, next) => {
      await next();
      const oidcCtx = ctx as unknown as KoaContextWithOIDC;
      if (oidcCtx.oidc?.route === 'revocation' && ctx.status === 200)
        this.recordRevocation(oidcCtx);
    });
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

  private requireClientAuthentication(method: string | undefined): void {
    if (method === 'none') {
      throw new errors.InvalidClient('client authentication is required');
    }
  }

  private adapterFor(model: string): Adapter {
    const store = this.store;
    const clients = this.clients;
    const accessTokens = this.accessTokens;
    const metadataOf = (client: OAuthClient) => this.clientMetadata(client);
    const onReplay = (clientId: string | null, grantId: string) =>
      this.recordTokenEvent(clientId ?? undefined, 'token', {
        action: 'oauth.token.revoked',
        outcome: 'success',
        accountId: null,
        metadata: { grantId, reason: 'replay_detected' },
      });
    return {
      async upsert(id, payload, expiresIn) {
        await store.upsert(model, id, payload, expiresIn);
      },
      async find(id) {
        if (model === 'Client') {
          const client = await clients.findByClientId(id);
          return client ? metadataOf(client) : undefined;
        }
        if (model === 'AccessToken') {
          // Access tokens are JWTs, never stored by value. The userinfo endpoint presents one:
          // resolve it to the record kept under its `jti` (which its grant's revocation
          // deletes), once the signature, issuer, audience and expiry have been verified.
          if (!isJwt(id)) return undefined;
          let jti: string;
          try {
            jti = (await accessTokens.verify(id)).jti;
          } catch {
            return undefined;
          }
          return store.find(model, jti);
        }
        return store.find(model, id);
      },
      async findByUid(uid) {
        return store.findByUid(model, uid);
      },
      findByUserCode() {
        return Promise.resolve(undefined);
      },
      async consume(id) {
        try {
          await store.consume(model, id);
        } catch (error) {
          if (!(error instanceof AlreadyConsumedError)) throw error;
          // A concurrent twin redeemed it first: the same as a replay, the grant dies.
          if (error.grantId) {
            await store.revokeGrant(error.grantId);
            await onReplay(error.clientId, error.grantId);
          }
          throw new errors.InvalidGrant('grant request is invalid');
        }
      },
      async destroy(id) {
        await store.destroy(model, id);
      },
      async revokeByGrantId(grantId) {
        await store.revokeByGrantId(model, grantId);
      },
    };
  }

  /** A Gatehouse client as oidc-provider metadata. The "secret" is the stored SHA-256. */
  private clientMetadata(client: OAuthClient): ClientMetadata {
    const confidential = client.type === 'confidential';
    const code = client.grantTypes.includes('authorization_code');
    const oidcScopes = client.scopes.filter((scope) =>
      (OIDC_SCOPES as readonly string[]).includes(scope),
    );
    return {
      client_id: client.clientId,
      ...(confidential && client.secretHash ? { client_secret: client.secretHash } : {}),
      client_name: client.name,
      application_type: 'web',
      grant_types: [...client.grantTypes],
      response_types: code ? ['code'] : [],
      // Query only: form_post would need an inline script, which the pages' CSP forbids.
      response_modes: code ? ['query'] : [],
      redirect_uris: [...client.redirectUris],
      post_logout_redirect_uris: [...client.postLogoutRedirectUris],
      // The OpenID scopes it may ask for (none listed: the grant refuses them all); API scopes
      // are checked by the resource server.
      ...(oidcScopes.length > 0 ? { scope: oidcScopes.join(' ') } : {}),
      token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
      id_token_signed_response_alg: this.keyStore.algorithm,
    };
  }

  private async resourceServer(
    ctx: KoaContextWithOIDC,
    resource: string,
    clientId: string,
    sign: NonNullable<ResourceServer['jwt']>['sign'],
  ): Promise<ResourceServer> {
    const client = await this.clients.findByClientId(clientId);
    if (resource !== this.config.tokens.audience || !client) throw new errors.InvalidTarget();
    const machine = ctx.oidc.params?.grant_type === 'client_credentials';
    const allowed = new Set<string>([...API_SCOPES, ...(machine ? [] : ACCESS_TOKEN_OIDC_SCOPES)]);
    return {
      scope: client.scopes.filter((scope) => allowed.has(scope)).join(' '),
      audience: this.config.tokens.audience,
      accessTokenTTL: this.config.tokens.accessTokenTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign },
    };
  }

  private async extraTokenClaims(clientId: string): Promise<{ tid: string }> {
    const client = await this.clients.findByClientId(clientId);
    if (!client) throw new errors.InvalidClient('client not found');
    return { tid: client.tenantId };
  }

  /**
   * Runs as each JWT access token is minted. A user's token is recorded under its `jti` with
   * its grant, so revoking the grant (code or refresh-token replay, revocation) ends the token,
   * and the userinfo endpoint can find it. A client-credentials token without a `scope`
   * parameter gets the client's API scopes (RFC 6749 §3.3: a pre-defined default).
   */
  private async onJwtAccessToken(
    token: AccessToken | ClientCredentials,
    jwt: JWTStructured,
  ): Promise<void> {
    const payload = jwt.payload as Record<string, unknown>;
    if (token.kind === 'ClientCredentials') {
      if (!token.scope) {
        const client = await this.clients.findByClientId(token.clientId ?? '');
        const scope = (client?.scopes ?? [])
          .filter((name) => (API_SCOPES as readonly string[]).includes(name))
          .join(' ');
        if (scope) {
          token.scope = scope;
          payload.scope = scope;
        }
      }
      return;
    }
    const accessToken = token;
    if (!accessToken.grantId) return;
    const exp = Number(payload.exp);
    const record: AccessTokenRecord = {
      jti: String(payload.jti),
      kind: 'AccessToken',
      iat: Number(payload.iat),
      exp,
      accountId: accessToken.accountId,
      clientId: accessToken.clientId,
      grantId: accessToken.grantId,
      scope: accessToken.scope,
      claims: accessToken.claims,
      sessionUid: accessToken.sessionUid,
      expiresWithSession: accessToken.expiresWithSession,
      sid: accessToken.sid,
      gty: accessToken.gty,
    };
    await this.store.upsert(
      'AccessToken',
      String(record.jti),
      record,
      Math.max(1, exp - Math.floor(Date.now() / 1000)),
    );
  }

  private async findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const context = await this.principals.userContext(sub);
    if (!context || context.user.status !== 'active' || context.tenant.status !== 'active') {
      return undefined;
    }
    const clientId = ctx.oidc?.client?.clientId;
    if (clientId) {
      const client = await this.clients.findByClientId(clientId);
      if (!client || client.tenantId !== context.tenant.id) return undefined;
    }
    const { user } = context;
    return {
      accountId: sub,
      claims: () => ({
        sub,
        email: user.email,
        email_verified: user.emailVerified,
        name: user.name,
      }),
    };
  }

  /**
   * The grant an authorization request builds on: the one of this browser session, else one
   * made from the user's remembered consent (or for a client that skips consent), so consent
   * is asked once per user, client and scope set.
   */
  private async loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const accountId = oidc.account?.accountId;
    if (!clientId || !accountId) return undefined;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
    if (grantId) {
      const grant = await oidc.provider.Grant.find(grantId);
      if (grant && grant.accountId === accountId && grant.clientId === clientId) return grant;
    }
    const client = await this.clients.findByClientId(clientId);
    if (!client) return undefined;
    const requested = [...oidc.requestParamScopes];
    const allowed = requested.filter((scope) => client.scopes.includes(scope));
    const covered =
      client.skipConsent || (await this.consents.covers(accountId, client.id, allowed));
    if (!covered || allowed.length === 0) return undefined;
    const grant = new oidc.provider.Grant({ accountId, clientId });
    this.addScopes(grant, requested, client.scopes);
    await grant.save();
    return grant;
  }

  /**
   * Puts the requested scopes the client may have in a grant — OpenID ones as such, API ones
   * (with `openid profile email`, which ride in the access token) for Gatehouse's API — and
   * marks the other requested OpenID scopes refused, so they are not asked about again.
   */
  addScopes(grant: Grant, requested: readonly string[], allowed: readonly string[]): void {
    const isOidc = (scope: string) => (OIDC_SCOPES as readonly string[]).includes(scope);
    const granted = requested.filter((scope) => allowed.includes(scope));
    const oidc = granted.filter(isOidc);
    const refused = requested.filter((scope) => isOidc(scope) && !allowed.includes(scope));
    const resource = granted.filter(
      (scope) =>
        (API_SCOPES as readonly string[]).includes(scope) ||
        (ACCESS_TOKEN_OIDC_SCOPES as readonly string[]).includes(scope),
    );
    if (oidc.length > 0) grant.addOIDCScope(oidc.join(' '));
    if (refused.length > 0) grant.rejectOIDCScope(refused.join(' '));
    if (resource.length > 0)
      grant.addResourceScope(this.config.tokens.audience, resource.join(' '));
  }

  private renderLogout(ctx: KoaContextWithOIDC, form: string): void {
    const state = (ctx.oidc.session?.state ?? {}) as { postLogoutRedirectUri?: string };
    const client = ctx.oidc.client;
    const target =
      state.postLogoutRedirectUri &&
      client?.postLogoutRedirectUriAllowed(state.postLogoutRedirectUri)
        ? [state.postLogoutRedirectUri]
        : [];
    ctx.set('Content-Security-Policy', pageCsp(target));
    ctx.type = 'html';
    ctx.body = logoutPage(form, client?.clientName ?? null);
  }

  private listen(provider: Provider): void {
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
      void this.recordTokenIssued(ctx);
    });
    provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
      // Revocations through the revocation endpoint are recorded once, after it answers.
      if (ctx.oidc?.route === 'revocation') return;
      void this.recordTokenEvent(ctx.oidc?.client?.clientId, ctx.oidc?.route ?? null, {
        action: 'oauth.token.revoked',
        outcome: 'success',
        metadata: { grantId, reason: 'replay_detected' },
        accountId: null,
      });
    });
    provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) => {
      this.logger.error(`Authorization server error: ${error.message}`, error.stack);
    });
  }

  private async recordTokenIssued(ctx: KoaContextWithOIDC): Promise<void> {
    const { entities, params } = ctx.oidc;
    const token = entities.AccessToken ?? entities.ClientCredentials;
    const accountId = entities.AccessToken?.accountId ?? null;
    await this.recordTokenEvent(ctx.oidc.client?.clientId, ctx.oidc.route, {
      action: 'oauth.token.issued',
      outcome: 'success',
      accountId,
      metadata: {
        grantType: typeof params?.grant_type === 'string' ? params.grant_type : null,
        scope: token?.scope ?? null,
        // Not `refreshToken`: a key that names a token is redacted from every event.
        refreshIssued: entities.RefreshToken !== undefined,
        jti: token?.jti ?? null,
      },
    });
  }

  private recordRevocation(ctx: KoaContextWithOIDC): void {
    const { entities } = ctx.oidc;
    const token = entities.RefreshToken ?? entities.AccessToken ?? entities.ClientCredentials;
    if (!token) return;
    void this.recordTokenEvent(ctx.oidc.client?.clientId, 'revocation', {
      action: 'oauth.token.revoked',
      outcome: 'success',
      accountId: (token as { accountId?: string }).accountId ?? null,
      metadata: { kind: token.kind, reason: 'revocation' },
    });
  }

  private async recordTokenEvent(
    clientId: string | undefined,
    route: string | null,
    event: {
      action: string;
      outcome: 'success' | 'failure';
      accountId: string | null;
      metadata: Record<string, unknown>;
    },
  ): Promise<void> {
    try {
      const client = clientId ? await this.clients.findByClientId(clientId) : null;
      if (!client) return;
      this.audit.record({
        action: event.action,
        outcome: event.outcome,
        tenantId: client.tenantId,
        actor: event.accountId
          ? { type: 'user', id: event.accountId }
          : { type: 'client', id: client.id },
        target: { type: 'oauth_client', id: client.id },
        metadata: { clientId: client.clientId, route, ...event.metadata },
      });
    } catch (error) {
      this.logger.warn(`Could not audit ${event.action}: ${String(error)}`);
    }
  }
}
