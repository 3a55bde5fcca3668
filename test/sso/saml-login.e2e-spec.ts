import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import {
  buildAssertion,
  buildResponse,
  createIdpKeys,
  type IdpKeys,
  readAuthnRequest,
  removeIdpKeys,
  signAssertion,
  signResponse,
} from './support/saml-idp';
import { createConnection as createVerifiedConnection } from './support/connections';
import { TestDns } from './support/test-dns';
import {
  APP_CALLBACK,
  auditEvents,
  codeOf,
  counts,
  metadataOf,
  postAcs,
  roleId,
  SSO_ENV,
  startSamlLogin,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';

const IDP = 'https://idp.acme.example/saml';

interface Me {
  user: { id: string; email: string; name: string; emailVerified: boolean };
  tenant: { id: string };
  roles: { id: string; name: string }[];
}

interface Connection {
  id: string;
  spEntityId: string;
  acsUrl: string;
  metadataUrl: string;
  loginUrl: string;
}

describe('SAML 2.0 SP-initiated login (e2e with a signing test IdP)', () => {
  let t: TestApp;
  let keys: IdpKeys;
  let tenant: Tenant;
  let owner: Awaited<ReturnType<typeof userWithRole>>;
  let jit: Connection;
  let domain: string;
  let dns: TestDns;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys();
    tenant = await createTenant(t);
    owner = await userWithRole(t, tenant, 'owner');
    domain = uniqueDomain('acme');
    jit = await createConnection({ domains: [domain], jitProvisioning: true });
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  /** A connection made by an owner, its domains proven through the test DNS. */
  async function createConnection(
    body: Record<string, unknown>,
    headers = owner.headers,
  ): Promise<Connection> {
    return createVerifiedConnection(
      t,
      { headers },
      {
        type: 'saml',
        name: 'Acme IdP',
        saml: {
          idpEntityId: IDP,
          ssoUrl: 'https://idp.acme.example/sso',
          certificate: keys.certificate,
        },
        ...body,
      },
      dns,
    );
  }

  /** What a well-behaved IdP answers to the AuthnRequest `requestId`. */
  function idpResponse(
    connection: Connection,
    requestId: string,
    nameId: string,
    options: { attributes?: Record<string, string | string[]>; signEnvelope?: boolean } = {},
  ): string {
    const assertion = buildAssertion({
      idpEntityId: IDP,
      audience: connection.spEntityId,
      recipient: connection.acsUrl,
      inResponseTo: requestId,
      nameId,
      attributes: options.attributes,
    });
    const response = signAssertion(
      buildResponse({
        idpEntityId: IDP,
        destination: connection.acsUrl,
        inResponseTo: requestId,
        body: assertion,
      }),
      { keys },
    );
    return options.signEnvelope ? signResponse(response, { keys }) : response;
  }

  async function signIn(
    connection: Connection,
    nameId: string,
    options: Parameters<typeof idpResponse>[3] = {},
  ): Promise<{ accessToken: string; me: Me; location: string }> {
    const requestId = await startSamlLogin(t, connection.id);
    const res = await postAcs(
      t,
      connection.id,
      idpResponse(connection, requestId, nameId, options),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(302);
    const location = String(res.headers.location);
    expect(location.startsWith(`${APP_CALLBACK}?code=`)).toBe(true);
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(location) });
    expect(exchange.status).toBe(200);
    const me = await t.http().get('/v1/auth/me').set(bearer(exchange.body.accessToken));
    expect(me.status).toBe(200);
    return { accessToken: exchange.body.accessToken, me: me.body as Me, location };
  }

  it('serves SP metadata whose entity ID is its own URL, with the POST ACS and signed assertions', async () => {
    expect(jit.spEntityId).toBe(`${t.config.http.publicUrl}/v1/sso/saml/${jit.id}/metadata`);
    expect(jit.metadataUrl).toBe(jit.spEntityId);
    const res = await t.http().get(`/v1/sso/saml/${jit.id}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('xml');
    const xml = res.text;
    expect(xml).toContain(`entityID="${jit.spEntityId}"`);
    expect(xml).toContain('WantAssertionsSigned="true"');
    expect(xml).toMatch(
      new RegExp(
        `AssertionConsumerService[^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"[^>]*Location="${jit.acsUrl}"`,
      ),
    );
    expect(
      (
        await t
          .http()
          .get(`/v1/sso/saml/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}/metadata`)
      ).status,
    ).toBe(404);
    expect((await t.http().get('/v1/sso/saml/not-a-uuid/metadata')).status).toBe(404);
  });

  it('login redirects to the IdP with a deflated AuthnRequest for this SP and ACS', async () => {
    const res = await t
      .http()
      .get(`/v1/sso/saml/${jit.id}/login`)
      .query({ redirect_uri: APP_CALLBACK });
    expect(res.status).toBe(302);
    const location = String(res.headers.location);
    expect(location.startsWith('https://idp.acme.example/sso?SAMLRequest=')).toBe(true);
    const { id, xml } = readAuthnRequest(location);
    expect(id).toMatch(/^_[0-9a-f]{40}$/);
    expect(xml).toContain(`AssertionConsumerServiceURL="${jit.acsUrl}"`);
    expect(xml).toContain('Destination="https://idp.acme.example/sso"');
    expect(xml).toContain(`>${jit.spEntityId}</saml:Issuer>`);
  });

  it('login refuses a redirect_uri outside APP_REDIRECT_ALLOWLIST, and an unknown connection', async () => {
    for (const redirectUri of [
      undefined,
      'https://evil.example/cb',
      `${APP_CALLBACK}/x`,
      `${APP_CALLBACK}#f`,
    ]) {
      const res = await t
        .http()
        .get(`/v1/sso/saml/${jit.id}/login`)
        .query(redirectUri ? { redirect_uri: redirectUri } : {});
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.headers.location).toBeUndefined();
    }
    const unknown = await t
      .http()
      .get('/v1/sso/saml/018f0000-0000-7000-8000-000000000000/login')
      .query({ redirect_uri: APP_CALLBACK });
    expect(unknown.status).toBe(404);
  });

  it('JIT: a first login creates the user in the connection’s tenant, verified, with the default role, and the code exchanges for a session', async () => {
    const email = `new.${Date.now()}@${domain}`;
    const before = await counts(t);
    const { me, location, accessToken } = await signIn(jit, email, {
      attributes: { displayName: 'New Person' },
    });
    // Neither the code nor the token it became is ever logged.
    expect(t.logs.join('\n')).not.toContain(codeOf(location));
    expect(t.logs.join('\n')).not.toContain(accessToken);
    expect(me.tenant.id).toBe(tenant.id);
    expect(me.user.email).toBe(email);
    expect(me.user.name).toBe('New Person');
    expect(me.user.emailVerified).toBe(true);
    expect(me.roles.map((role: { name: string }) => role.name)).toEqual(['member']);
    const after = await counts(t);
    expect(after.users).toBe(before.users + 1);
    expect(after.identities).toBe(before.identities + 1);
    const [user] = await selectRows(t, 'users', 'id = :id', { id: me.user.id });
    expect(user.password_hash).toBeNull();
    const [identity] = await selectRows(t, 'user_identities', 'user_id = :id', { id: me.user.id });
    expect(identity).toMatchObject({
      provider: `sso:${jit.id}`,
      subject: email,
      tenant_id: tenant.id,
    });
    const events = await auditEvents(t, 'auth.sso.login');
    const success = events.filter(
      (event) => event.outcome === 'success' && event.target_id === me.user.id,
    );
    expect(success).toHaveLength(1);
    expect(metadataOf(success[0])).toMatchObject({
      connectionId: jit.id,
      protocol: 'saml',
      provisioned: true,
    });
  });

  it('a second login with the same NameID is the same user, found by the identity', async () => {
    const email = `again.${Date.now()}@${domain}`;
    const first = await signIn(jit, email);
    const before = await counts(t);
    const second = await signIn(jit, email);
    expect(second.me.user.id).toBe(first.me.user.id);
    const after = await counts(t);
    expect(after.users).toBe(before.users);
    expect(after.identities).toBe(before.identities);
  });

  it('links an existing account of the tenant by email, and keeps the app’s query in the redirect', async () => {
    const email = `local.${Date.now()}@${domain}`;
    const local = await register(t, tenant.slug, email);
    await updateRow(t, 'users', local.user.id, { emailVerified: true });
    const requestId = await startSamlLogin(t, jit.id, `${APP_CALLBACK}?state=app-state`);
    const res = await postAcs(
      t,
      jit.id,
      idpResponse(jit, requestId, 'persistent-subject-123', {
        attributes: { email: email.toUpperCase() },
      }),
    );
    expect(res.status).toBe(302);
    const location = new URL(String(res.headers.location));
    expect(location.searchParams.get('state')).toBe('app-state');
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: location.searchParams.get('code') });
    const me = await t.http().get('/v1/auth/me').set(bearer(exchange.body.accessToken));
    expect(me.body.user.id).toBe(local.user.id);
    const identities = await selectRows(t, 'user_identities', 'user_id = :id', {
      id: local.user.id,
    });
    expect(identities).toHaveLength(1);
    expect(identities[0].subject).toBe('persistent-subject-123');
  });

  it('accepts a response whose envelope is signed too', async () => {
    const { me } = await signIn(jit, `envelope.${Date.now()}@${domain}`, { signEnvelope: true });
    expect(me.tenant.id).toBe(tenant.id);
  });

  it('JIT off: an unknown user is refused (401 sso_failed, nothing created); a known one links', async () => {
    const closedDomain = uniqueDomain('closed');
    const closed = await createConnection({ domains: [closedDomain], jitProvisioning: false });
    const before = await counts(t);
    const requestId = await startSamlLogin(t, closed.id);
    const res = await postAcs(
      t,
      closed.id,
      idpResponse(closed, requestId, `nobody@${closedDomain}`),
    );
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('sso_failed');
    expect(await counts(t)).toEqual(before);
    const reasons = (await auditEvents(t, 'auth.sso.login'))
      .filter((event) => event.outcome === 'failure')
      .map((event) => metadataOf(event).reason);
    expect(reasons).toContain('jit_disabled');

    const known = await register(t, tenant.slug, `known.${Date.now()}@${closedDomain}`);
    await updateRow(t, 'users', known.user.id, { emailVerified: true });
    const { me } = await signIn(closed, known.user.email);
    expect(me.user.id).toBe(known.user.id);
  });

  it('gives JIT users the roles of their mapped groups on top of the defaults', async () => {
    const mappedDomain = uniqueDomain('mapped');
    const adminRole = await roleId(t, tenant.id, 'admin');
    const mapped = await createConnection({
      domains: [mappedDomain],
      jitProvisioning: true,
      attributeMapping: {
        groups: 'memberOf',
        groupRoles: [{ group: 'it-admins', roleIds: [adminRole] }],
      },
    });
    const admin = await signIn(mapped, `ops@${mappedDomain}`, {
      attributes: { memberOf: ['staff', 'it-admins'] },
    });
    expect(admin.me.roles.map((role: { name: string }) => role.name).sort()).toEqual([
      'admin',
      'member',
    ]);
    const plain = await signIn(mapped, `dev@${mappedDomain}`, {
      attributes: { memberOf: 'staff' },
    });
    expect(plain.me.roles.map((role: { name: string }) => role.name)).toEqual(['member']);
  });

  it('refuses a disabled user and a suspended tenant, creating nothing', async () => {
    const email = `disabled.${Date.now()}@${domain}`;
    const { me } = await signIn(jit, email);
    await updateRow(t, 'users', me.user.id, { status: 'disabled' });
    let before = await counts(t);
    let requestId = await startSamlLogin(t, jit.id);
    let res = await postAcs(t, jit.id, idpResponse(jit, requestId, email));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('sso_failed');
    expect(await counts(t)).toEqual(before);

    const suspended = await createTenant(t);
    const suspendedOwner = await userWithRole(t, suspended, 'owner');
    const otherDomain = uniqueDomain('suspended');
    const connection = await createConnection(
      { domains: [otherDomain], jitProvisioning: true },
      suspendedOwner.headers,
    );
    await updateRow(t, 'tenants', suspended.id, { status: 'suspended' });
    before = await counts(t);
    requestId = await startSamlLogin(t, connection.id);
    res = await postAcs(
      t,
      connection.id,
      idpResponse(connection, requestId, `someone@${otherDomain}`),
    );
    expect(res.status).toBe(401);
    expect(await counts(t)).toEqual(before);
  });

  it('refuses an email outside the connection’s domains (the IdP speaks for its domains only)', async () => {
    const victim = await register(t, tenant.slug, uniqueEmail('victim'));
    const before = await counts(t);
    const requestId = await startSamlLogin(t, jit.id);
    const res = await postAcs(t, jit.id, idpResponse(jit, requestId, victim.user.email));
    expect(res.status).toBe(401);
    expect(await counts(t)).toEqual(before);
  });
});
