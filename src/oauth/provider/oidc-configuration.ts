import { Injectable } from '@nestjs/common';
import {
  type Configuration,
  errors,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { KeyStoreService } from '../../auth/keys/key-store.service';
import { AccessTokenService } from '../../auth/tokens/access-token.service';
import { AppConfig } from '../../config/app-config';
import { errorPage, loggedOutPage, logoutPage, pageCsp } from '../interaction/pages';
import { OAuthClientDirectory } from '../oauth-client-directory.service';
import { OAUTH_SCOPES, OIDC_SCOPES } from '../oauth-scopes';
import { OidcAccounts } from './oidc-accounts';
import { OidcStorageAdapter } from './oidc-storage-adapter';
import { type AccessTokenSigning, OidcTokenClaims } from './oidc-token-claims';

const INTERACTION_TTL_S = 10 * 60;
const PROVIDER_SESSION_TTL_S = 12 * 60 * 60;
const ID_TOKEN_TTL_S = 60 * 60;
const CODE_TTL_S = 60;

/**
 * oidc-provider's configuration: which flows and endpoints are on, how clients authenticate,
 * lifetimes, cookies, and the pages it renders, with storage, accounts and token claims
 * delegated to the providers that own them. Built again whenever the signing keys change.
 */
@Injectable()
export class OidcConfiguration {
  constructor(
    private readonly config: AppConfig,
    private readonly keyStore: KeyStoreService,
    private readonly accessTokens: AccessTokenService,
    private readonly clients: OAuthClientDirectory,
    private readonly adapter: OidcStorageAdapter,
    private readonly accounts: OidcAccounts,
    private readonly claims: OidcTokenClaims,
  ) {}

  build(cookieKey: string): Configuration {
    const config = this.config;
    const idAlg = this.keyStore.algorithm;
    const active = this.keyStore.activeKey();
    // The active key first: oidc-provider signs ID tokens with the first key that fits.
    const jwks = [active, ...this.keyStore.allKeys().filter((key) => key.kid !== active.kid)].map(
      (key) => ({ ...key.privateJwk, kid: key.kid, alg: key.alg, use: 'sig' }),
    );
    const shared = this.accessTokens.sharedSigningKey();
    const accessTokenSigning: AccessTokenSigning = shared
      ? { alg: 'HS256', key: shared.key, kid: shared.kid }
      : { alg: config.tokens.alg as 'ES256', kid: active.kid };
    const audience = config.tokens.audience;
    const overTls = config.http.tls !== null || config.http.publicUrl.startsWith('https://');

    return {
      adapter: (model: string) => this.adapter.forModel(model),
      findAccount: (ctx, sub) => this.accounts.findAccount(ctx, sub),
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
        keys: [cookieKey],
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
            requireClientAuthentication(client.clientAuthMethod);
            return token.clientId === client.clientId;
          },
        },
        revocation: {
          enabled: true,
          allowedPolicy: (_ctx, client, token) => {
            requireClientAuthentication(client.clientAuthMethod);
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
          logoutSource: (ctx, form) => renderLogout(ctx, form),
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
            this.claims.resourceServer(ctx, resource, client.clientId, accessTokenSigning),
        },
        pushedAuthorizationRequests: { enabled: false },
        dPoP: { enabled: false },
      },
      extraTokenClaims: (_ctx, token) => this.claims.extraTokenClaims(token.clientId ?? ''),
      formats: {
        customizers: { jwt: (_ctx, token, jwt) => this.claims.onJwtAccessToken(token, jwt) },
      },
      interactions: {
        policy: interactionPolicyWithTenantCheck(),
        url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}`,
      },
      loadExistingGrant: (ctx) => this.accounts.loadExistingGrant(ctx),
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
  }
}

/**
 * oidc-provider's session is shared by every client, but a user signs in to the client's tenant
 * only: an account from another tenant (or no longer active) must sign in again.
 */
function interactionPolicyWithTenantCheck(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
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
  return policy;
}

function requireClientAuthentication(method: string | undefined): void {
  if (method === 'none') {
    throw new errors.InvalidClient('client authentication is required');
  }
}

function renderLogout(ctx: KoaContextWithOIDC, form: string): void {
  const state = (ctx.oidc.session?.state ?? {}) as { postLogoutRedirectUri?: string };
  const client = ctx.oidc.client;
  const target =
    state.postLogoutRedirectUri && client?.postLogoutRedirectUriAllowed(state.postLogoutRedirectUri)
      ? [state.postLogoutRedirectUri]
      : [];
  ctx.set('Content-Security-Policy', pageCsp(target));
  ctx.type = 'html';
  ctx.body = logoutPage(form, client?.clientName ?? null);
}
