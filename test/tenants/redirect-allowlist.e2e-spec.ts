import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { createTenant, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import { Browser } from '../social/support/browser';
import { PUBLIC_URL } from '../social/support/flows';
import { TestOidcProvider } from '../social/support/test-oidc-provider';
import { createIdpKeys, type IdpKeys, removeIdpKeys } from '../sso/support/saml-idp';
import { uniqueDomain, userWithRole } from '../sso/support/sso-fixtures';

const APP_A = 'https://app-a.test/cb';
const APP_B = 'https://app-b.test/cb';
const SECRET = 'redirect-test-client-secret-0123456789';

/**
 * F13: APP_REDIRECT_ALLOWLIST is instance-wide, so app A (run by another party) could receive
 * the login codes of tenant B's users. Tenant B narrows the list to its own app with
 * `settings.redirectAllowlist`; a login started for B towards app A is refused at its start,
 * before the browser goes to the provider or IdP.
 */
describe("a tenant's redirect allowlist narrows the instance's (F13)", () => {
  let t: TestApp;
  let keys: IdpKeys;
  let google: TestOidcProvider;
  let tenantA: Tenant;
  let tenantB: Tenant;
  let ownerB: Awaited<ReturnType<typeof userWithRole>>;
  let samlB: string;
  let oidcB: string;

  beforeAll(async () => {
    keys = createIdpKeys();
    google = await TestOidcProvider.start([
      {
        clientId: 'gatehouse-google',
        clientSecret: SECRET,
        redirectUris: [`${PUBLIC_URL}/v1/auth/social/google/callback`],
      },
    ]);
    t = await createTestApp({
      env: {
        PUBLIC_URL,
        APP_REDIRECT_ALLOWLIST: `${APP_A},${APP_B}`,
        GOOGLE_CLIENT_ID: 'gatehouse-google',
        GOOGLE_CLIENT_SECRET: SECRET,
        GOOGLE_ISSUER: google.issuer,
      },
    });
    tenantA = await createTenant(t);
    tenantB = await createTenant(t);
    ownerB = await userWithRole(t, tenantB, 'owner');
    const connection = async (body: Record<string, unknown>) => {
      const res = await t
        .http()
        .post('/v1/sso/connections')
        .set(ownerB.headers)
        .send({ name: 'B IdP', domains: [uniqueDomain('b')], jitProvisioning: true, ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return (res.body as { id: string }).id;
    };
    samlB = await connection({
      type: 'saml',
      saml: {
        idpEntityId: 'https://idp.b.example/saml',
        ssoUrl: 'https://idp.b.example/sso',
        certificate: keys.certificate,
      },
    });
    // Never reached: the start refuses the redirect before any discovery.
    oidcB = await connection({
      type: 'oidc',
      oidc: { issuer: 'http://127.0.0.1:9', clientId: 'b', clientSecret: 'b-secret' },
    });
    const narrowed = await t
      .http()
      .patch('/v1/tenants/current')
      .set(ownerB.headers)
      .send({ settings: { redirectAllowlist: [APP_B] } });
    expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(200);
    expect(narrowed.body.settings.redirectAllowlist).toEqual([APP_B]);
  });
  afterAll(async () => {
    await t?.close();
    await google?.close();
    removeIdpKeys();
  });

  const socialStart = (tenant: Tenant, redirectUri: string) =>
    `/v1/auth/social/google?tenant=${tenant.slug}&redirect_uri=${encodeURIComponent(redirectUri)}`;

  async function expectRefusedAtStart(path: string): Promise<void> {
    const states = (await selectRows(t, 'federation_states', '1 = 1', {})).length;
    const res = await t.http().get(path);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors[0].field).toBe('redirect_uri');
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await selectRows(t, 'federation_states', '1 = 1', {})).length).toBe(states);
  }

  it('logins started for tenant B cannot deliver their code to app A, though the instance allows app A', async () => {
    await expectRefusedAtStart(socialStart(tenantB, APP_A));
    await expectRefusedAtStart(socialStart(tenantB, `${APP_A}?state=x`));
    for (const protocol of ['saml', 'oidc']) {
      const id = protocol === 'saml' ? samlB : oidcB;
      await expectRefusedAtStart(
        `/v1/sso/${protocol}/${id}/login?redirect_uri=${encodeURIComponent(APP_A)}`,
      );
    }
  });

  it("tenant B's own app gets its code; tenant A, not narrowed, still reaches app A", async () => {
    const account = `google-${Date.now()}`;
    google.addAccount(account, { email: uniqueEmail('b'), emailVerified: true, name: 'B' });
    const { last } = await new Browser(t, PUBLIC_URL).follow(socialStart(tenantB, APP_B), APP_B);
    expect(last.status, JSON.stringify(last.body)).toBe(302);
    const back = new URL(String(last.location));
    expect(`${back.origin}${back.pathname}`).toBe(APP_B);
    expect(back.searchParams.get('code')).toBeTruthy();

    const saml = await t
      .http()
      .get(`/v1/sso/saml/${samlB}/login`)
      .query({ redirect_uri: `${APP_B}?state=1` });
    expect(saml.status, JSON.stringify(saml.body)).toBe(302);
    expect(String(saml.headers.location)).toMatch(/^https:\/\/idp\.b\.example\/sso\?SAMLRequest=/);

    const a = await new Browser(t, PUBLIC_URL).get(socialStart(tenantA, APP_A));
    expect(a.status, JSON.stringify(a.body)).toBe(302);
    expect(String(a.location).startsWith(google.issuer)).toBe(true);
  });

  it('validates the setting: absolute URLs without query or fragment, at most 50; null clears it', async () => {
    const patch = (redirectAllowlist: unknown) =>
      t
        .http()
        .patch('/v1/tenants/current')
        .set(ownerB.headers)
        .send({ settings: { redirectAllowlist } });
    for (const [value, field] of [
      [['/cb'], 'settings.redirectAllowlist.0'],
      [[APP_B, 'https://app-b.test/cb#x'], 'settings.redirectAllowlist.1'],
      [['https://app-b.test/cb?x=1'], 'settings.redirectAllowlist.0'],
      [['javascript:alert(1)'], 'settings.redirectAllowlist.0'],
      [
        Array.from({ length: 51 }, (_, i) => `https://app-b.test/${i}`),
        'settings.redirectAllowlist',
      ],
      ['https://app-b.test/cb', 'settings.redirectAllowlist'],
    ] as const) {
      const res = await patch(value);
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors[0].field).toBe(field);
    }
    const current = await t.http().get('/v1/tenants/current').set(ownerB.headers);
    expect(current.body.settings.redirectAllowlist).toEqual([APP_B]);

    const cleared = await patch(null);
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.settings.redirectAllowlist).toBeNull();
    const a = await new Browser(t, PUBLIC_URL).get(socialStart(tenantB, APP_A));
    expect(a.status, JSON.stringify(a.body)).toBe(302);
    expect(String(a.location).startsWith(google.issuer)).toBe(true);
  });
});
