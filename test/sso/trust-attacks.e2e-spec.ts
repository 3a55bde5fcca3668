import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { bearer, createTenant, login, register } from '../factories';
import { createMember, platformAdmin, type TenantFixture } from '../factories/tenancy';
import { createTestApp, ROOT_TENANT, type TestApp } from '../support/app';
import { updateRow } from '../support/sql';
import { createConnection, type SsoConnectionAnswer } from './support/connections';
import {
  buildAssertion,
  buildResponse,
  createIdpKeys,
  type IdpKeys,
  removeIdpKeys,
  signAssertion,
} from './support/saml-idp';
import {
  auditEvents,
  codeOf,
  metadataOf,
  postAcs,
  roleId,
  SSO_ENV,
  startSamlLogin,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';
import { TestDns } from './support/test-dns';

const IDP = 'https://idp.bigcorp.example/saml';
const MALLORY_IDP = 'https://idp.mallory.example/saml';
const OIDC_SECRET = 'the-real-enterprise-client-secret';

type Actor = { id?: string; headers: Record<string, string> };

/**
 * F2: whoever sets a connection's trust can sign in as anyone it reaches. These attacks are a
 * tenant admin (and, in the root tenant, an admin or owner who is not the platform admin)
 * trying to become that someone; every one must answer 403 and change nothing.
 */
describe('SSO trust is owner-level (F2)', () => {
  let t: TestApp;
  let dns: TestDns;
  let keys: IdpKeys;
  let malloryKeys: IdpKeys;
  let tenant: Tenant;
  let owner: Awaited<ReturnType<typeof userWithRole>>;
  let admin: Awaited<ReturnType<typeof userWithRole>>;
  let domain: string;
  let saml: SsoConnectionAnswer;
  let oidc: SsoConnectionAnswer;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys('BigCorp IdP');
    malloryKeys = createIdpKeys('Mallory');
    tenant = await createTenant(t);
    owner = await userWithRole(t, tenant, 'owner');
    admin = await userWithRole(t, tenant, 'admin');
    domain = uniqueDomain('bigcorp');
    saml = await createConnection(t, owner, samlBody([domain], keys, IDP), dns);
    oidc = await createConnection(
      t,
      owner,
      {
        type: 'oidc',
        name: 'BigCorp OIDC',
        domains: [uniqueDomain('bigcorp-oidc')],
        oidc: {
          issuer: 'https://login.bigcorp.example',
          clientId: 'gh',
          clientSecret: OIDC_SECRET,
        },
      },
      dns,
    );
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  function samlBody(domains: string[], idpKeys: IdpKeys, entityId: string) {
    return {
      type: 'saml',
      name: 'BigCorp IdP',
      domains,
      jitProvisioning: true,
      saml: { idpEntityId: entityId, ssoUrl: `${entityId}/sso`, certificate: idpKeys.certificate },
    };
  }

  const patch = (id: string, by: Actor, body: object) =>
    t.http().patch(`/v1/sso/connections/${id}`).set(by.headers).send(body);

  function expectForbidden(res: { status: number; body: { code?: string } }) {
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.code).toBe('forbidden');
  }

  /** A SAML login through `connection` signed by `idpKeys` as `entityId`: the exchanged pair. */
  async function samlLogin(
    connection: SsoConnectionAnswer,
    nameId: string,
    idpKeys = keys,
    entityId = IDP,
  ): Promise<{ accessToken: string; refreshToken: string }> {
    const requestId = await startSamlLogin(t, connection.id);
    const xml = signAssertion(
      buildResponse({
        idpEntityId: entityId,
        destination: connection.acsUrl,
        inResponseTo: requestId,
        body: buildAssertion({
          idpEntityId: entityId,
          audience: connection.spEntityId,
          recipient: connection.acsUrl,
          inResponseTo: requestId,
          nameId,
        }),
      }),
      { keys: idpKeys },
    );
    const acs = await postAcs(t, connection.id, xml);
    expect(acs.status, JSON.stringify(acs.body)).toBe(302);
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(acs.headers.location) });
    expect(exchange.status, JSON.stringify(exchange.body)).toBe(200);
    return exchange.body as { accessToken: string; refreshToken: string };
  }

  it('a tenant admin cannot create a connection with their own certificate for the owner’s domain', async () => {
    const res = await t
      .http()
      .post('/v1/sso/connections')
      .set(admin.headers)
      .send(samlBody([uniqueDomain('mallory')], malloryKeys, MALLORY_IDP));
    expectForbidden(res);
    const list = await t.http().get('/v1/sso/connections?limit=100').set(admin.headers);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id).sort()).toEqual(
      [saml.id, oidc.id].sort(),
    );
  });

  it('a tenant admin cannot re-trust the owner’s SAML connection, field by field; renaming is allowed', async () => {
    const attempts: object[] = [
      { saml: { certificate: malloryKeys.certificate } },
      { saml: { additionalCertificates: [malloryKeys.certificate] } },
      { saml: { idpEntityId: MALLORY_IDP } },
      { saml: { ssoUrl: 'https://idp.mallory.example/sso' } },
      { domains: [domain, uniqueDomain('more')] },
      { jitProvisioning: false },
      { defaultRoleIds: [await roleId(t, tenant.id, 'member')] },
      { attributeMapping: { email: 'mail' } },
      { name: 'Renamed', saml: { certificate: malloryKeys.certificate } },
    ];
    for (const body of attempts) expectForbidden(await patch(saml.id, admin, body));
    expectForbidden(await t.http().delete(`/v1/sso/connections/${saml.id}`).set(admin.headers));
    expectForbidden(
      await t.http().post(`/v1/sso/connections/${saml.id}/domains/verify`).set(admin.headers),
    );
    const unchanged = await t.http().get(`/v1/sso/connections/${saml.id}`).set(admin.headers);
    expect(unchanged.body.saml).toEqual(saml.saml);
    expect(unchanged.body.domains).toEqual(saml.domains);
    expect(unchanged.body.name).toBe('BigCorp IdP');

    const renamed = await patch(saml.id, admin, { name: 'BigCorp (Okta)' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.name).toBe('BigCorp (Okta)');
    expect(renamed.body.saml).toEqual(saml.saml);
  });

  it('a tenant admin cannot change an OIDC connection’s issuer, client id or client secret', async () => {
    for (const settings of [
      { issuer: 'https://login.mallory.example' },
      { clientId: 'mallory' },
      { clientSecret: 'mallory-secret' },
    ]) {
      expectForbidden(await patch(oidc.id, admin, { oidc: settings }));
    }
    const unchanged = await t.http().get(`/v1/sso/connections/${oidc.id}`).set(admin.headers);
    expect(unchanged.body.oidc).toEqual(oidc.oidc);
    expect((await patch(oidc.id, admin, { name: 'BigCorp Entra' })).status).toBe(200);
  });

  it('an admin cannot grant manage SsoConnection to a custom role; an owner can, and its holder may then change trust', async () => {
    const permissions = [{ action: 'manage', subject: 'SsoConnection' }];
    const byAdmin = await t
      .http()
      .post('/v1/roles')
      .set(admin.headers)
      .send({ name: 'sso-by-admin', permissions });
    expectForbidden(byAdmin);
    // Nor a narrower slice of it that admin does not hold either.
    expectForbidden(
      await t
        .http()
        .post('/v1/roles')
        .set(admin.headers)
        .send({
          name: 'sso-cert-by-admin',
          permissions: [{ action: 'update', subject: 'SsoConnection', fields: ['saml'] }],
        }),
    );

    const byOwner = await t
      .http()
      .post('/v1/roles')
      .set(owner.headers)
      .send({ name: 'sso-admins', permissions });
    expect(byOwner.status, JSON.stringify(byOwner.body)).toBe(201);
    // Nor hand the owner's role to themselves.
    const selfAssigned = await t
      .http()
      .put(`/v1/users/${admin.id}/roles`)
      .set(admin.headers)
      .send({ roleIds: [await roleId(t, tenant.id, 'admin'), byOwner.body.id] });
    expectForbidden(selfAssigned);
    const holder = await userWithRole(t, tenant, 'member');
    const assigned = await t
      .http()
      .put(`/v1/users/${holder.id}/roles`)
      .set(owner.headers)
      .send({ roleIds: [await roleId(t, tenant.id, 'member'), byOwner.body.id] });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    const rotated = await patch(oidc.id, holder, { oidc: { clientId: 'gh-rotated' } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.oidc.clientId).toBe('gh-rotated');
  });

  it('lists only the connections the caller may read (per-row check, F20)', async () => {
    const role = await t
      .http()
      .post('/v1/roles')
      .set(owner.headers)
      .send({
        name: 'oidc-reader',
        permissions: [{ action: 'read', subject: 'SsoConnection', conditions: { type: 'oidc' } }],
      });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    const reader = await userWithRole(t, tenant, 'member');
    const assigned = await t
      .http()
      .put(`/v1/users/${reader.id}/roles`)
      .set(owner.headers)
      .send({ roleIds: [role.body.id] });
    expect(assigned.status).toBe(200);
    const list = await t.http().get('/v1/sso/connections?limit=100').set(reader.headers);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([oidc.id]);
    expect((await t.http().get(`/v1/sso/connections/${saml.id}`).set(reader.headers)).status).toBe(
      403,
    );
  });

  it('a trust change revokes the sessions that came through the connection; password sessions stay; the audit names fields, never a secret', async () => {
    const employee = await register(t, tenant.slug, `employee@${domain}`);
    // A verified account: SSO links no other (review F6).
    await updateRow(t, 'users', employee.user.id, { emailVerified: true });
    const viaSso = await samlLogin(saml, employee.user.email);
    const viaPassword = await login(t, tenant.slug, employee.user.email);
    const ownerPassword = await login(t, tenant.slug, owner.email);
    const me = (token: string) => t.http().get('/v1/auth/me').set(bearer(token));
    expect((await me(viaSso.accessToken)).status).toBe(200);

    // A rename is not a trust change: nothing is revoked.
    expect((await patch(saml.id, owner, { name: 'Still BigCorp' })).status).toBe(200);
    expect((await me(viaSso.accessToken)).status).toBe(200);

    const rotated = await patch(saml.id, owner, {
      saml: { certificate: malloryKeys.certificate, additionalCertificates: [keys.certificate] },
    });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    await vi.waitFor(async () => expect((await me(viaSso.accessToken)).status).toBe(401), {
      timeout: 10_000,
      interval: 250,
    });
    const refresh = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: viaSso.refreshToken });
    expect(refresh.status).toBe(401);
    expect((await me(viaPassword.accessToken)).status).toBe(200);
    expect((await me(ownerPassword.accessToken)).status).toBe(200);
    // The identity stays linked: the same IdP subject signs in again under the new trust.
    const again = await samlLogin(saml, employee.user.email);
    expect((await me(again.accessToken)).body.user.id).toBe(employee.user.id);

    const secretChange = await patch(oidc.id, owner, {
      oidc: { clientSecret: 'rotated-secret-x' },
    });
    expect(secretChange.status).toBe(200);
    const events = (await auditEvents(t, 'sso.connection.updated')).filter(
      (event) => event.target_id === saml.id || event.target_id === oidc.id,
    );
    const certificateEvent = events
      .map(metadataOf)
      .find((metadata) => (metadata.trustFields as string[]).includes('saml.certificates'));
    expect(certificateEvent).toMatchObject({
      fields: ['saml'],
      trustFields: ['saml.certificates'],
      revokedSessions: 1,
    });
    const renameEvent = events.map(metadataOf).find((m) => (m.fields as string[])[0] === 'name');
    expect(renameEvent).toMatchObject({ trustFields: [], revokedSessions: 0 });
    const secretEvent = events
      .map(metadataOf)
      .find((metadata) => (metadata.trustFields as string[]).includes('oidc.clientSecret'));
    expect(secretEvent).toBeDefined();
    const stored = JSON.stringify(events);
    expect(stored).not.toContain('rotated-secret-x');
    expect(stored).not.toContain(OIDC_SECRET);
    expect(t.logs.join('\n')).not.toContain('rotated-secret-x');
  });

  it('a login code issued before a trust change no longer opens a session after it', async () => {
    const employee = await register(t, tenant.slug, `late@${domain}`);
    await updateRow(t, 'users', employee.user.id, { emailVerified: true });
    const requestId = await startSamlLogin(t, saml.id);
    const current = (await t.http().get(`/v1/sso/connections/${saml.id}`).set(owner.headers)).body;
    const xml = signAssertion(
      buildResponse({
        idpEntityId: IDP,
        destination: current.acsUrl,
        inResponseTo: requestId,
        body: buildAssertion({
          idpEntityId: IDP,
          audience: current.spEntityId,
          recipient: current.acsUrl,
          inResponseTo: requestId,
          nameId: employee.user.email,
        }),
      }),
      { keys },
    );
    const acs = await postAcs(t, saml.id, xml);
    expect(acs.status).toBe(302);
    expect((await patch(saml.id, owner, { saml: { idpEntityId: `${IDP}/v2` } })).status).toBe(200);
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(acs.headers.location) });
    expect(exchange.status).toBe(400);
    expect(exchange.body.code).toBe('invalid_token');
  });

  describe('root tenant', () => {
    let platform: Awaited<ReturnType<typeof platformAdmin>>;
    let root: TenantFixture;

    beforeAll(async () => {
      platform = await platformAdmin(t);
      const me = await t.http().get('/v1/auth/me').set(platform.headers);
      const roles = await t.http().get('/v1/roles?limit=100').set(platform.headers);
      root = {
        id: me.body.tenant.id,
        slug: ROOT_TENANT,
        owner: platform,
        roles: Object.fromEntries(
          roles.body.items.map((role: { id: string; name: string }) => [role.name, role.id]),
        ),
      };
    });

    it('a root admin, and a root owner who is not the platform admin, cannot create or re-trust a connection; the platform admin can', async () => {
      const rootAdmin = await createMember(t, root, ['admin'], platform);
      const rootOwner = await createMember(t, root, ['owner'], platform);
      const body = samlBody([uniqueDomain('root')], malloryKeys, MALLORY_IDP);
      for (const actor of [rootAdmin, rootOwner]) {
        expectForbidden(await t.http().post('/v1/sso/connections').set(actor.headers).send(body));
      }
      const created = await createConnection(
        t,
        platform,
        samlBody([uniqueDomain('root-idp')], keys, IDP),
        dns,
      );
      for (const actor of [rootAdmin, rootOwner]) {
        expectForbidden(
          await patch(created.id, actor, { saml: { certificate: malloryKeys.certificate } }),
        );
        expectForbidden(await patch(created.id, actor, { jitProvisioning: false }));
        expectForbidden(
          await t.http().delete(`/v1/sso/connections/${created.id}`).set(actor.headers),
        );
      }
      expect((await patch(created.id, rootAdmin, { name: 'Root IdP' })).status).toBe(200);
      const after = await t.http().get(`/v1/sso/connections/${created.id}`).set(rootOwner.headers);
      expect(after.body.saml).toEqual(created.saml);
      expect(after.body.jitProvisioning).toBe(true);
    });
  });
});
