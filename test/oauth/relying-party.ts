import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { bearer } from '../factories';
import type { TestApp } from '../support/app';
import { authorizeInBrowser, type CookieJar, createClient, tenantOwner } from './support';

export const RP_REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const insecure = { execute: [oidc.allowInsecureRequests] };

/**
 * A confidential web client with refresh tokens, registered by the tenant's owner at
 * `RP_REDIRECT_URI`, and openid-client's view of it (discovery over plain http on loopback).
 */
export async function confidentialRelyingParty(
  t: TestApp,
  tenant: { id: string; slug: string },
): Promise<oidc.Configuration> {
  const owner = await tenantOwner(t, tenant);
  const client = await createClient(t, owner.accessToken, {
    name: 'Acme web',
    type: 'confidential',
    redirectUris: [RP_REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'email', 'offline_access', 'users:read'],
  });
  return oidc.discovery(
    new URL(`${t.baseUrl}/oidc`),
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret ?? ''),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export type RpTokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/**
 * A confidential web application registered in a tenant, acting through openid-client: it
 * sends users through the real login (and consent) pages with code + PKCE, and refreshes.
 */
export class RelyingParty {
  /** The HTML pages the browser saw in the last `authorize()` (login, consent). */
  lastPages: string[] = [];

  private constructor(
    private readonly t: TestApp,
    readonly client: { id: string; clientId: string; name: string },
    private readonly configuration: oidc.Configuration,
  ) {}

  static async register(
    t: TestApp,
    managerToken: string,
    name = 'Acme web',
  ): Promise<RelyingParty> {
    const created = await createClient(t, managerToken, {
      name,
      type: 'confidential',
      redirectUris: [RP_REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'email', 'offline_access', 'users:read'],
    });
    const configuration = await oidc.discovery(
      new URL(`${t.baseUrl}/oidc`),
      created.clientId,
      undefined,
      oidc.ClientSecretBasic(created.clientSecret ?? ''),
      insecure,
    );
    return new RelyingParty(t, { id: created.id, clientId: created.clientId, name }, configuration);
  }

  /** Code + PKCE through the browser pages, answering the token response (with a refresh token). */
  async authorize(
    credentials: { email: string; password?: string; mfaCode?: () => Promise<string> },
    jar?: CookieJar,
  ): Promise<RpTokens> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(this.configuration, {
      redirect_uri: RP_REDIRECT_URI,
      scope: 'openid email offline_access users:read',
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const { location, pages } = await authorizeInBrowser(url, credentials, { jar });
    this.lastPages = pages;
    const tokens = await oidc.authorizationCodeGrant(this.configuration, location, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(await this.meStatus(tokens.access_token)).toBe(200);
    return tokens;
  }

  /** Whether the last `authorize()` showed the login page, and the consent page. */
  get asked(): { login: boolean; consent: boolean } {
    return {
      login: this.lastPages.some((page) => page.includes('name="password"')),
      consent: this.lastPages.some((page) => page.includes('>Allow</button>')),
    };
  }

  refresh(refreshToken: string): Promise<RpTokens> {
    return oidc.refreshTokenGrant(this.configuration, refreshToken);
  }

  async meStatus(accessToken: string): Promise<number> {
    return (await this.t.http().get('/v1/auth/me').set(bearer(accessToken))).status;
  }

  /**
   * What an attacker holding these tokens now gets: the refresh refused (`invalid_grant`) at
   * once, and the access token refused by the API within 10 s (polled, no sleep).
   */
  async expectRevoked(tokens: RpTokens): Promise<void> {
    await expect(this.refresh(tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect
      .poll(() => this.meStatus(tokens.access_token), { timeout: 10_000, interval: 250 })
      .toBe(401);
  }

  /** The same tokens still work (a control: the grant of someone or something else). */
  async expectAlive(tokens: RpTokens): Promise<RpTokens> {
    expect(await this.meStatus(tokens.access_token)).toBe(200);
    return this.refresh(tokens.refresh_token ?? '');
  }
}
