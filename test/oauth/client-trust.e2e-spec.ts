import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { platformAdmin } from '../factories/tenancy';
import { createTestApp, ROOT_TENANT, type TestApp } from '../support/app';
import { login } from '../factories';
import { auditEvents } from '../account/support/helpers';
import { RelyingParty } from './relying-party';
import { createClient, tenantAdmin, tenantOwner } from './support';

const CLIENT = {
  name: 'Mallory tools',
  type: 'confidential',
  redirectUris: ['https://mallory.example/cb'],
  postLogoutRedirectUris: ['https://mallory.example/'],
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'offline_access', 'users:write', 'roles:write', 'tenant:write'],
};

/** F4: skipConsent and redirect URIs are owner-level; an admin cannot delegate silently. */
describe('OAuth client trust settings are owner-level', () => {
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let mallory: { accessToken: string };
  let owner: { accessToken: string; userId: string };

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    tenant = await createTenant(t);
    mallory = await tenantAdmin(t, tenant);
    owner = await tenantOwner(t, tenant);
  });
  afterAll(() => t.close());

  function patch(token: string, id: string, body: object) {
    return t.http().patch(`/v1/oauth/clients/${id}`).set(bearer(token)).send(body);
  }

  it('admin Mallory cannot register a skipConsent client (403); the owner can', async () => {
    const refused = await t
      .http()
      .post('/v1/oauth/clients')
      .set(bearer(mallory.accessToken))
      .send({ ...CLIENT, skipConsent: true });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    // Without it, admins still register clients, redirect URIs included.
    await createClient(t, mallory.accessToken, CLIENT);
    const allowed = await createClient(t, owner.accessToken, { ...CLIENT, skipConsent: true });
    expect(allowed.skipConsent).toBe(true);
  });

  it('admin Mallory cannot turn on skipConsent or move redirect URIs (403), but may rename (200)', async () => {
    const client = await createClient(t, mallory.accessToken, CLIENT);
    for (const body of [
      { skipConsent: true },
      { redirectUris: ['https://evil.example/cb'] },
      { postLogoutRedirectUris: ['https://evil.example/'] },
      { name: 'Innocent rename', redirectUris: ['https://evil.example/cb'] },
    ]) {
      const res = await patch(mallory.accessToken, client.id, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    const unchanged = await t
      .http()
      .get(`/v1/oauth/clients/${client.id}`)
      .set(bearer(mallory.accessToken));
    expect(unchanged.body).toMatchObject({
      name: CLIENT.name,
      skipConsent: false,
      redirectUris: CLIENT.redirectUris,
      postLogoutRedirectUris: CLIENT.postLogoutRedirectUris,
    });

    const renamed = await patch(mallory.accessToken, client.id, { name: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Renamed');
    // Rotating the secret stays an admin right.
    const rotated = await t
      .http()
      .post(`/v1/oauth/clients/${client.id}/secret`)
      .set(bearer(mallory.accessToken));
    expect(rotated.status).toBe(200);

    const byOwner = await patch(owner.accessToken, client.id, {
      skipConsent: true,
      redirectUris: ['https://app.example.com/cb'],
      postLogoutRedirectUris: ['https://app.example.com/'],
    });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toMatchObject({
      skipConsent: true,
      redirectUris: ['https://app.example.com/cb'],
    });

    // Once consent is skipped, widening the client's scopes is owner-level too; narrowing is not.
    const widened = await patch(mallory.accessToken, client.id, {
      scopes: [...CLIENT.scopes, 'audit:read'],
    });
    expect(widened.status).toBe(403);
    const narrowed = await patch(mallory.accessToken, client.id, { scopes: ['openid'] });
    expect(narrowed.status).toBe(200);
  });

  it('admin Mallory cannot hand `manage OAuthClient` (or the skipConsent field) to a custom role; the owner can', async () => {
    for (const permissions of [
      [{ action: 'manage', subject: 'OAuthClient' }],
      [{ action: 'update', subject: 'OAuthClient', fields: ['skipConsent'] }],
      [{ action: 'update', subject: 'OAuthClient', fields: ['redirectUris'] }],
    ]) {
      const res = await t
        .http()
        .post('/v1/roles')
        .set(bearer(mallory.accessToken))
        .send({ name: `oauth-${Math.random().toString(36).slice(2, 8)}`, permissions });
      expect(res.status, JSON.stringify(permissions)).toBe(403);
    }
    const byOwner = await t
      .http()
      .post('/v1/roles')
      .set(bearer(owner.accessToken))
      .send({ name: 'oauth-trustee', permissions: [{ action: 'manage', subject: 'OAuthClient' }] });
    expect(byOwner.status).toBe(201);

    // The role the owner made carries the power: its holder may set skipConsent.
    const email = uniqueEmail('trustee');
    const { user } = await register(t, tenant.slug, email);
    const assigned = await t
      .http()
      .put(`/v1/users/${user.id}/roles`)
      .set(bearer(owner.accessToken))
      .send({ roleIds: [byOwner.body.id] });
    expect(assigned.status).toBe(200);
    const trustee = await login(t, tenant.slug, email);
    await createClient(t, trustee.accessToken, { ...CLIENT, skipConsent: true });
  });

  it('in the root tenant only a platform admin sets skipConsent: a root owner without `manage Platform` gets 403', async () => {
    const platform = await platformAdmin(t);
    const roles = await t.http().get('/v1/roles?limit=100').set(platform.headers);
    const ownerRole = (roles.body.items as { id: string; name: string }[]).find(
      (role) => role.name === 'owner',
    );
    expect(ownerRole).toBeDefined();
    const email = uniqueEmail('root-owner');
    const created = await t
      .http()
      .post('/v1/users')
      .set(platform.headers)
      .send({ email, password: 'a long and unusual passphrase', roleIds: [ownerRole?.id] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const rootOwner = await login(t, ROOT_TENANT, email);

    const refused = await t
      .http()
      .post('/v1/oauth/clients')
      .set(bearer(rootOwner.accessToken))
      .send({ ...CLIENT, skipConsent: true });
    expect(refused.status).toBe(403);
    const plain = await createClient(t, rootOwner.accessToken, CLIENT);
    expect(
      (await patch(rootOwner.accessToken, plain.id, { redirectUris: ['https://x.example/cb'] }))
        .status,
    ).toBe(403);
    await createClient(t, platform.token, { ...CLIENT, skipConsent: true });
  });

  it("the owner moving a client's redirect URIs revokes its grants: refresh → invalid_grant, access token → 401 within 10 s", async () => {
    const rp = await RelyingParty.register(t, owner.accessToken);
    const email = uniqueEmail('victim');
    await register(t, tenant.slug, email);
    const tokens = await rp.authorize({ email });
    const other = await RelyingParty.register(t, owner.accessToken, 'Other app');
    const untouched = await other.authorize({ email });

    const moved = await patch(owner.accessToken, rp.client.id, {
      redirectUris: ['https://new-home.example/cb'],
    });
    expect(moved.status).toBe(200);
    await rp.expectRevoked(tokens);
    await other.expectAlive(untouched);

    const [event] = await auditEvents(t, 'oauth.token.revoked', rp.client.id);
    expect(event?.metadata).toMatchObject({
      clientId: rp.client.clientId,
      reason: 'redirect_uris_changed',
      grantId: expect.any(String),
    });
  });
});
