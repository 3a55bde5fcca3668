import { Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import { sha256Hex } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app-config';
import { boundedCache } from '../../common/cache/bounded-cache';
import { OutboundHttp } from '../../common/outbound/outbound-http';

export interface OidcClientSettings {
  /** The issuer an admin configured; its discovery document is the only metadata trusted. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface OAuthServerSettings {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** How the provider wants the client secret; default: HTTP Basic (RFC 6749 §2.3.1). */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
}

export interface AuthorizationRequest {
  redirectUri: string;
  scope: string;
  state: string;
  codeVerifier: string;
  /** OIDC only; plain OAuth 2.0 servers get none. */
  nonce?: string;
  extra?: Record<string, string>;
}

export interface AuthorizationChecks {
  state: string;
  codeVerifier: string;
  /** Given for OIDC: an ID token is then required, and its nonce must match. */
  nonce?: string;
}

/** Re-discover at least this often, so rotated endpoints are picked up. */
const DISCOVERY_TTL_MS = 60 * 60_000;

/**
 * openid-client configurations for upstream providers, with the safety settings in one place:
 * the outbound client's fetch for operator-configured providers (timeouts, 256 kB, no redirects), ID token signatures checked against the
 * issuer's JWKS (`enableNonRepudiationChecks`, on top of the issuer, audience, expiry and nonce
 * checks openid-client always makes), plain http only when the configured URL is http (local
 * providers in tests), and the client secret sent the way the provider supports.
 *
 * Metadata comes only from the configured issuer's discovery document, never from a token
 * (`jku`, `x5u`): SPEC §10. Discovered configurations are cached; a failed discovery is not,
 * so a provider that comes back is used at once.
 */
@Injectable()
export class OidcClients {
  private readonly discovered = boundedCache<string, Promise<client.Configuration>>(1_000, {
    ttl: DISCOVERY_TTL_MS,
  });

  constructor(
    private readonly config: AppConfig,
    private readonly outbound: OutboundHttp,
  ) {}

  /** The configuration of an OIDC provider, discovered once and cached. */
  discover(settings: OidcClientSettings, timeoutMs?: number): Promise<client.Configuration> {
    const key = [settings.issuer, settings.clientId, sha256Hex(settings.clientSecret)].join(' ');
    const cached = this.discovered.get(key);
    if (cached) return cached;
    const pending = this.runDiscovery(settings, timeoutMs ?? this.config.social.httpTimeoutMs);
    this.discovered.set(key, pending);
    pending.catch(() => {
      if (this.discovered.get(key) === pending) this.discovered.delete(key);
    });
    return pending;
  }

  /** A plain OAuth 2.0 server with known endpoints (GitHub has no discovery and no ID token). */
  oauth2(settings: OAuthServerSettings, timeoutMs?: number): client.Configuration {
    const secret = settings.clientSecret;
    const configuration = new client.Configuration(
      {
        issuer: settings.issuer,
        authorization_endpoint: settings.authorizationEndpoint,
        token_endpoint: settings.tokenEndpoint,
      },
      settings.clientId,
      { client_secret: secret },
      settings.clientAuth === 'client_secret_post'
        ? client.ClientSecretPost(secret)
        : client.ClientSecretBasic(secret),
    );
    this.harden(configuration, timeoutMs ?? this.config.social.httpTimeoutMs, [
      settings.authorizationEndpoint,
      settings.tokenEndpoint,
    ]);
    return configuration;
  }

  /** The bounded fetch of this instance, for provider APIs outside OAuth (GitHub's REST API). */
  fetch(timeoutMs?: number): client.CustomFetch {
    return this.outbound.fetch('operator', timeoutMs ?? this.config.social.httpTimeoutMs);
  }

  private async runDiscovery(
    settings: OidcClientSettings,
    timeoutMs: number,
  ): Promise<client.Configuration> {
    const issuer = new URL(settings.issuer);
    const execute = [client.enableNonRepudiationChecks];
    if (issuer.protocol === 'http:') execute.push(client.allowInsecureRequests);
    return client.discovery(
      issuer,
      settings.clientId,
      { client_secret: settings.clientSecret },
      clientSecretAuth(settings.clientSecret),
      {
        [client.customFetch]: this.outbound.fetch('operator', timeoutMs),
        timeout: timeoutMs / 1000,
        execute,
      },
    );
  }

  private harden(configuration: client.Configuration, timeoutMs: number, urls: string[]): void {
    configuration[client.customFetch] = this.outbound.fetch('operator', timeoutMs);
    configuration.timeout = timeoutMs / 1000;
    if (urls.some((url) => url.startsWith('http://'))) client.allowInsecureRequests(configuration);
  }
}

/** HTTP Basic when the provider lists it (or lists nothing: the RFC 6749 default), else POST. */
function clientSecretAuth(secret: string): client.ClientAuth {
  const basic = client.ClientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, metadata, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const auth = methods === undefined || methods.includes('client_secret_basic') ? basic : post;
    auth(as, metadata, body, headers);
  };
}

/** The provider's authorization URL: code flow, PKCE S256, state, and nonce for OIDC. */
export async function authorizationUrl(
  configuration: client.Configuration,
  request: AuthorizationRequest,
): Promise<URL> {
  const parameters: Record<string, string> = {
    ...request.extra,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: request.scope,
    state: request.state,
    code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
    code_challenge_method: 'S256',
  };
  if (request.nonce !== undefined) parameters.nonce = request.nonce;
  return client.buildAuthorizationUrl(configuration, parameters);
}

/**
 * Redeems the code of a callback. `callbackUrl` must be built from PUBLIC_URL (openid-client
 * sends it, without its query, as the token request's `redirect_uri`). openid-client checks
 * the state, `iss` (RFC 9207, when the provider supports it), the PKCE verifier (by the
 * provider), and for OIDC the ID token's signature, issuer, audience, expiry and nonce.
 */
export function redeemAuthorizationCode(
  configuration: client.Configuration,
  callbackUrl: URL,
  checks: AuthorizationChecks,
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  return client.authorizationCodeGrant(configuration, callbackUrl, {
    expectedState: checks.state,
    pkceCodeVerifier: checks.codeVerifier,
    ...(checks.nonce !== undefined ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
  });
}
