import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { authorizeInBrowser, createClient, decodeJwt, tenantOwner } from './support';

const REDIRECT_URI = 'https://rp.example.com/cb';

describe('OAuth server with JWT_ALG=HS256', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: { JWT_ALG: 'HS256', JWT_SECRET: 'an hs256 secret of at least thirty-two bytes' },
    });
  });
  afterAll(() => t.close());

  it('signs access tokens with the shared secret (like login tokens) and ID tokens with ES256', async () => {
    const tenant = await createTenant(t);
    const owner = await tenantOwner(t, tenant);
    const email = uniqueEmail('hs');
    const user = (await register(t, tenant.slug, email)).user;
    const client = await createClient(t, owner.accessToken, {
      name: 'HS',
      type: 'confidential',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code'],
      scopes: ['openid', 'users:read'],
      skipConsent: true,
    });
    const url = new URL(`${t.baseUrl}/oidc/auth`);
    url.search = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid users:read',
    }).toString();
    const { location, pages } = await authorizeInBrowser(url, { email });
    expect(pages.some((page) => page.includes('Allow'))).toBe(false);
    const res = await t
      .http()
      .post('/oidc/token')
      .auth(client.clientId, client.clientSecret ?? '')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code: location.searchParams.get('code'),
        redirect_uri: REDIRECT_URI,
      });
    expect(res.status).toBe(200);
    const access = decodeJwt(res.body.access_token as string);
    expect(access.header).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(String(access.header.kid)).toMatch(/^hs-/);
    expect(decodeJwt(res.body.id_token as string).header.alg).toBe('ES256');
    const me = await t
      .http()
      .get('/v1/auth/me')
      .set(bearer(res.body.access_token as string));
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(user.id);
    // The shared secret is never published; the ID token's key is.
    const jwks = (await t.http().get('/oidc/jwks')).body as { keys: { kty: string }[] };
    expect(jwks.keys.every((key) => key.kty !== 'oct')).toBe(true);
  });
});
