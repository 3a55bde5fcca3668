import * as oidc from 'openid-client';
import type { Actor } from '../factories/tenancy';
import { authorizeInBrowser, createClient } from '../oauth/support';
import type { TestApp } from '../support/app';

const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
export const insecure = { execute: [oidc.allowInsecureRequests] };

/**
 * A third-party web app registered by a tenant admin, asking for every scope the tests need; its
 * users sign in through the real login and consent pages (the app must listen).
 */
export async function thirdPartyApp(
  t: TestApp,
  admin: Actor,
): Promise<{ tokenFor: (user: Actor, scope: string) => Promise<string> }> {
  const client = await createClient(t, admin.token, {
    name: 'Third-party app',
    type: 'confidential',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code'],
    scopes: ['openid', 'profile', 'email', 'users:read', 'roles:write'],
  });
  const web = await oidc.discovery(
    new URL(`${t.baseUrl}/oidc`),
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret ?? ''),
    insecure,
  );
  return {
    async tokenFor(user, scope) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(web, {
        redirect_uri: REDIRECT_URI,
        scope,
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const { location } = await authorizeInBrowser(url, { email: user.email });
      const tokens = await oidc.authorizationCodeGrant(web, location, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      return tokens.access_token;
    },
  };
}
