import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { UserIdentity } from '../../src/users/entities/user-identity.entity';
import { createTenant, login, register, STRONG_PASSWORD } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import { createConnection, domainNames } from './support/connections';
import { createIdpKeys, type IdpKeys, removeIdpKeys } from './support/saml-idp';
import { TestDns } from './support/test-dns';
import {
  auditEvents,
  metadataOf,
  roleId,
  SSO_ENV,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';

function idpMetadata(keys: IdpKeys, entityId = 'https://idp.meta.example/saml'): string {
  const certificate = keys.certificate.replace(/-----(?:BEGIN|END) CERTIFICATE-----|\s/g, '');
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.meta.example/sso/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.meta.example/sso/redirect"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

describe('SSO connections API, discovery and ssoRequired', () => {
  let t: TestApp;
  let keys: IdpKeys;
  let rolloverKeys: IdpKeys;
  let tenant: Tenant;
  let other: Tenant;
  let owner: Awaited<ReturnType<typeof userWithRole>>;
  let admin: Awaited<ReturnType<typeof userWithRole>>;
  let member: Awaited<ReturnType<typeof userWithRole>>;
  let otherOwner: Awaited<ReturnType<typeof userWithRole>>;
  let dns: TestDns;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys();
    rolloverKeys = createIdpKeys('Rollover');
    tenant = await createTenant(t);
    other = await createTenant(t);
    owner = await userWithRole(t, tenant, 'owner');
    admin = await userWithRole(t, tenant, 'admin');
    member = await userWithRole(t, tenant, 'member');
    otherOwner = await userWithRole(t, other, 'owner');
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  function saml(domains: string[], extra: Record<string, unknown> = {}) {
    return {
      type: 'saml',
      name: 'Corp IdP',
      domains,
      saml: {
        idpEntityId: 'https://idp.corp.example',
        ssoUrl: 'https://idp.corp.example/sso',
        certificate: keys.certificate,
      },
      ...extra,
    };
  }

  function oidc(domains: string[], extra: Record<string, unknown> = {}) {
    return {
      type: 'oidc',
      name: 'Corp OIDC',
      domains,
      oidc: {
        issuer: 'https://login.corp.example',
        clientId: 'gatehouse',
        clientSecret: 'super-secret-client-value',
      },
      ...extra,
    };
  }

  const create = (body: object, headers = owner.headers) =>
    t.http().post('/v1/sso/connections').set(headers).send(body);
  /** Created by `by` (an owner) with its domains proven through the test DNS. */
  const createVerified = (body: object, by = owner) => createConnection(t, by, body, dns);

  /** A member to whom the owner granted a custom role with `manage SsoConnection`. */
  async function ssoManager(): Promise<{ headers: Record<string, string> }> {
    const role = await t
      .http()
      .post('/v1/roles')
      .set(owner.headers)
      .send({
        name: `sso-manager-${Date.now().toString(36)}`,
        permissions: [{ action: 'manage', subject: 'SsoConnection' }],
      });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    const user = await userWithRole(t, tenant, 'member');
    const assigned = await t
      .http()
      .put(`/v1/users/${user.id}/roles`)
      .set(owner.headers)
      .send({ roleIds: [await roleId(t, tenant.id, 'member'), role.body.id] });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    return user;
  }

  it('the owner creates a SAML connection: 201 with the SP URLs, domains lower-cased and pending, member as default role', async () => {
    const domain = uniqueDomain('create');
    const res = await create(saml([domain.toUpperCase()], { jitProvisioning: true }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const base = `${t.config.http.publicUrl}/v1/sso/saml/${res.body.id}`;
    expect(res.body).toMatchObject({
      tenantId: tenant.id,
      type: 'saml',
      name: 'Corp IdP',
      domains: [
        {
          domain,
          status: 'pending',
          txtName: `_gatehouse-challenge.${domain}`,
          txtValue: expect.stringMatching(/^gatehouse-domain-verification=[\w-]{43}$/),
        },
      ],
      jitProvisioning: true,
      defaultRoleIds: [await roleId(t, tenant.id, 'member')],
      attributeMapping: null,
      saml: {
        idpEntityId: 'https://idp.corp.example',
        ssoUrl: 'https://idp.corp.example/sso',
        certificate: keys.certificate.trim(),
        additionalCertificates: [],
      },
      spEntityId: `${base}/metadata`,
      acsUrl: `${base}/acs`,
      metadataUrl: `${base}/metadata`,
      loginUrl: `${base}/login`,
    });
    expect(res.body.oidc).toBeUndefined();
    const created = (await auditEvents(t, 'sso.connection.created')).find(
      (e) => e.target_id === res.body.id,
    );
    expect(created?.outcome).toBe('success');
  });

  it('imports IdP metadata: entity ID, the HTTP-Redirect SSO URL and the signing certificate', async () => {
    const res = await create(
      saml([uniqueDomain('meta')], { saml: { metadataXml: idpMetadata(keys) } }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.saml).toEqual({
      idpEntityId: 'https://idp.meta.example/saml',
      ssoUrl: 'https://idp.meta.example/sso/redirect',
      certificate: keys.certificate.trim(),
      additionalCertificates: [],
    });
  });

  it('refuses metadata with a DOCTYPE, without a redirect binding, or mixed with explicit fields', async () => {
    const domain = uniqueDomain('badmeta');
    const doctype = idpMetadata(keys).replace(
      '<md:EntityDescriptor',
      '<!DOCTYPE x [<!ENTITY e "e">]><md:EntityDescriptor',
    );
    const noRedirect = idpMetadata(keys).replace(
      /<md:SingleSignOnService Binding="[^"]*HTTP-Redirect"[^>]*\/>/,
      '',
    );
    for (const samlSettings of [
      { metadataXml: doctype },
      { metadataXml: noRedirect },
      { metadataXml: '<not xml' },
      { metadataXml: idpMetadata(keys), idpEntityId: 'https://x.example' },
    ]) {
      const res = await create(saml([domain], { saml: samlSettings }));
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors[0].field).toMatch(/^saml\./);
    }
  });

  it('validates the body: unknown fields, missing or wrong settings, bad certificates, plain http, bad domains', async () => {
    const domain = uniqueDomain('invalid');
    const cases: object[] = [
      { ...saml([domain]), extra: true },
      { ...saml([domain]), saml: { ...saml([]).saml, unknown: 1 } },
      { type: 'saml', name: 'x', domains: [domain] },
      { type: 'ldap', name: 'x', domains: [domain] },
      { ...saml([domain]), oidc: oidc([]).oidc },
      saml([domain], {
        saml: { idpEntityId: 'x', ssoUrl: 'https://idp/sso', certificate: 'not a certificate' },
      }),
      saml([domain], {
        saml: {
          idpEntityId: 'x',
          ssoUrl: 'http://idp.corp.example/sso',
          certificate: keys.certificate,
        },
      }),
      saml([domain], { saml: { idpEntityId: 'x', ssoUrl: 'https://idp.corp.example/sso' } }),
      saml(['not a domain']),
      saml(['*.corp.example']),
      saml('corp.example' as unknown as string[]),
      saml([domain], { defaultRoleIds: ['nope'] }),
      oidc([domain], {
        oidc: { issuer: 'http://login.corp.example', clientId: 'a', clientSecret: 'b' },
      }),
      oidc([domain], { oidc: { issuer: 'https://login.corp.example', clientId: 'a' } }),
      oidc([domain], {
        oidc: {
          issuer: 'https://login.corp.example',
          clientId: 'a',
          clientSecret: 'b',
          scopes: ['email'],
        },
      }),
      { ...saml([domain]), name: 'x'.repeat(201) },
    ];
    for (const body of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect(
      (await t.http().get('/v1/sso/connections').set(admin.headers)).body.items.flatMap(
        domainNames,
      ),
    ).not.toContain(domain);
  });

  it('a domain is claimed once in a tenant and verified by one tenant only: 409 conflict, in any case', async () => {
    const domain = uniqueDomain('taken');
    expect((await create(saml([domain]))).status).toBe(201);
    for (const body of [saml([domain.toUpperCase()]), oidc([`${domain}.`])]) {
      const res = await create(body);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('conflict');
    }
    // Another tenant's pending claim blocks nobody; once a tenant proved the domain, it does.
    await createVerified(saml([domain]), otherOwner);
    const third = await userWithRole(t, await createTenant(t), 'owner');
    const res = await create(saml([uniqueDomain('free'), domain]), third.headers);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('conflict');
  });

  it('only those who manage SsoConnection may touch connections; members get 403, anonymous 401', async () => {
    expect((await create(saml([uniqueDomain('m')]), member.headers)).status).toBe(403);
    expect((await t.http().get('/v1/sso/connections').set(member.headers)).status).toBe(403);
    expect((await t.http().get('/v1/sso/connections')).status).toBe(401);
  });

  it('default roles must be the tenant’s and grantable by the caller', async () => {
    const ownerRole = await roleId(t, tenant.id, 'owner');
    const foreignRole = await roleId(t, other.id, 'member');
    // Someone the owner trusted with connections, who still holds less than the owner.
    const manager = await ssoManager();
    const escalate = await create(
      saml([uniqueDomain('esc')], { defaultRoleIds: [ownerRole] }),
      manager.headers,
    );
    expect(escalate.status).toBe(403);
    expect(escalate.body.code).toBe('forbidden');
    const viaGroups = await create(
      saml([uniqueDomain('esc')], {
        attributeMapping: { groups: 'g', groupRoles: [{ group: 'x', roleIds: [ownerRole] }] },
      }),
      manager.headers,
    );
    expect(viaGroups.status).toBe(403);
    const foreign = await create(
      saml([uniqueDomain('foreign')], { defaultRoleIds: [foreignRole] }),
      manager.headers,
    );
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0].field).toBe('defaultRoleIds');
    expect((await create(saml([uniqueDomain('mgr')]), manager.headers)).status).toBe(201);
    const byOwner = await create(
      saml([uniqueDomain('own')], { defaultRoleIds: [ownerRole] }),
      owner.headers,
    );
    expect(byOwner.status).toBe(201);
    expect(byOwner.body.defaultRoleIds).toEqual([ownerRole]);
  });

  it('OIDC: the client secret is sealed at rest and never returned', async () => {
    const res = await create(oidc([uniqueDomain('oidc')]));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.oidc).toEqual({
      issuer: 'https://login.corp.example',
      clientId: 'gatehouse',
      scopes: ['openid', 'email', 'profile'],
    });
    expect(res.body).toMatchObject({
      spEntityId: null,
      acsUrl: null,
      metadataUrl: null,
      callbackUrl: `${t.config.http.publicUrl}/v1/sso/oidc/${res.body.id}/callback`,
      loginUrl: `${t.config.http.publicUrl}/v1/sso/oidc/${res.body.id}/login`,
    });
    const patched = await t
      .http()
      .patch(`/v1/sso/connections/${res.body.id}`)
      .set(owner.headers)
      .send({ oidc: { clientSecret: 'rotated-secret-value' } });
    expect(patched.status).toBe(200);
    const answers = [
      res,
      patched,
      await t.http().get(`/v1/sso/connections/${res.body.id}`).set(admin.headers),
      await t.http().get('/v1/sso/connections?limit=100').set(admin.headers),
    ];
    for (const answer of answers) {
      expect(answer.text).not.toContain('super-secret-client-value');
      expect(answer.text).not.toContain('rotated-secret-value');
      expect(answer.text).not.toContain('clientSecret');
    }
    const [row] = await selectRows(t, 'sso_connections', 'id = :id', { id: res.body.id });
    expect(String(row.oidc)).not.toContain('rotated-secret-value');
    expect(JSON.stringify(t.logs)).not.toContain('super-secret-client-value');
    await t.flushAudit();
    const audit = await t.app.get(DataSource).query('SELECT metadata FROM audit_events');
    expect(JSON.stringify(audit)).not.toContain('secret-value');
  });

  it("another tenant's connection answers 404 to read, update and delete, and is not listed", async () => {
    const mine = await create(saml([uniqueDomain('mine')]));
    const id = mine.body.id as string;
    expect((await t.http().get(`/v1/sso/connections/${id}`).set(otherOwner.headers)).status).toBe(
      404,
    );
    expect(
      (
        await t
          .http()
          .patch(`/v1/sso/connections/${id}`)
          .set(otherOwner.headers)
          .send({ name: 'x' })
      ).status,
    ).toBe(404);
    expect(
      (await t.http().delete(`/v1/sso/connections/${id}`).set(otherOwner.headers)).status,
    ).toBe(404);
    const list = await t.http().get('/v1/sso/connections?limit=100').set(otherOwner.headers);
    expect(list.body.items.map((c: { id: string }) => c.id)).not.toContain(id);
    expect((await t.http().get(`/v1/sso/connections/${id}`).set(admin.headers)).body.name).toBe(
      'Corp IdP',
    );
    expect((await t.http().get('/v1/sso/connections/not-a-uuid').set(admin.headers)).status).toBe(
      404,
    );
  });

  it('lists with a cursor', async () => {
    const first = await t.http().get('/v1/sso/connections?limit=1').set(admin.headers);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    // The cursor is opaque (a position, not an id), and pages go on from it, oldest first.
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.nextCursor).not.toBe(first.body.items[0].id);
    const second = await t
      .http()
      .get(`/v1/sso/connections?limit=1&cursor=${first.body.nextCursor}`)
      .set(admin.headers);
    expect(second.body.items[0].createdAt >= first.body.items[0].createdAt).toBe(true);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    expect((await t.http().get('/v1/sso/connections?limit=0').set(admin.headers)).status).toBe(400);
    expect((await t.http().get('/v1/sso/connections?limit=101').set(admin.headers)).status).toBe(
      400,
    );
  });

  it('PATCH renames, replaces domains (freeing the old ones), rotates certificates; the type cannot change', async () => {
    const [oldDomain, newDomain] = [uniqueDomain('old'), uniqueDomain('new')];
    const { id } = await createVerified(saml([oldDomain]));
    const res = await t
      .http()
      .patch(`/v1/sso/connections/${id}`)
      .set(owner.headers)
      .send({
        name: 'Renamed',
        domains: [newDomain],
        jitProvisioning: true,
        saml: { certificate: rolloverKeys.certificate, additionalCertificates: [keys.certificate] },
      });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ name: 'Renamed', jitProvisioning: true });
    expect(res.body.domains).toEqual([
      expect.objectContaining({ domain: newDomain, status: 'pending' }),
    ]);
    expect(res.body.saml.certificate).toBe(rolloverKeys.certificate.trim());
    expect(res.body.saml.additionalCertificates).toEqual([keys.certificate.trim()]);
    expect(res.body.saml.idpEntityId).toBe('https://idp.corp.example');
    await createVerified(saml([oldDomain]), otherOwner);
    expect(
      (await t.http().patch(`/v1/sso/connections/${id}`).set(owner.headers).send({ type: 'oidc' }))
        .status,
    ).toBe(400);
    expect(
      (
        await t
          .http()
          .patch(`/v1/sso/connections/${id}`)
          .set(owner.headers)
          .send({ oidc: oidc([]).oidc })
      ).status,
    ).toBe(400);
    const updated = (await auditEvents(t, 'sso.connection.updated')).find(
      (e) => e.target_id === id,
    );
    expect(metadataOf(updated!).fields).toEqual(
      expect.arrayContaining(['name', 'domains', 'saml']),
    );
  });

  it('DELETE answers 204, then 404; the domain is free again and linked identities go', async () => {
    const domain = uniqueDomain('gone');
    const { id } = await createVerified(saml([domain]));
    const someone = await register(t, tenant.slug, `someone@${domain}`);
    await t.app
      .get(DataSource)
      .getRepository(UserIdentity)
      .insert({
        id: '018f0000-0000-7000-8000-00000000abcd',
        tenantId: tenant.id,
        userId: someone.user.id,
        provider: `sso:${id}`,
        subject: 'subject',
        email: null,
        createdAt: new Date(),
        lastUsedAt: null,
      });
    expect((await t.http().delete(`/v1/sso/connections/${id}`).set(owner.headers)).status).toBe(
      204,
    );
    expect((await t.http().get(`/v1/sso/connections/${id}`).set(admin.headers)).status).toBe(404);
    expect((await t.http().delete(`/v1/sso/connections/${id}`).set(owner.headers)).status).toBe(
      404,
    );
    expect(
      await selectRows(t, 'user_identities', 'user_id = :id', { id: someone.user.id }),
    ).toHaveLength(0);
    await createVerified(saml([domain]), otherOwner);
    expect((await auditEvents(t, 'sso.connection.deleted')).some((e) => e.target_id === id)).toBe(
      true,
    );
  });

  describe('POST /v1/sso/discover', () => {
    it('answers the connection and its login URL from the email domain, in any case', async () => {
      const domain = uniqueDomain('disc');
      const created = await createVerified(saml([domain]));
      const res = await t
        .http()
        .post('/v1/sso/discover')
        .send({ email: `Ada@${domain.toUpperCase()}` });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ connectionId: created.id, loginUrl: created.loginUrl });
    });

    it('404 when no connection serves the domain (no parent-domain match); 400 for a non-email', async () => {
      const domain = uniqueDomain('parent');
      await createVerified(saml([domain]));
      expect(
        (
          await t
            .http()
            .post('/v1/sso/discover')
            .send({ email: `a@eu.${domain}` })
        ).status,
      ).toBe(404);
      expect(
        (await t.http().post('/v1/sso/discover').send({ email: 'a@nowhere.example' })).status,
      ).toBe(404);
      for (const body of [{}, { email: 'nope' }, { email: 'a@b.c', extra: 1 }]) {
        expect((await t.http().post('/v1/sso/discover').send(body)).status).toBe(400);
      }
    });

    it('a suspended tenant’s connections are not offered', async () => {
      const suspended = await createTenant(t);
      const suspendedOwner = await userWithRole(t, suspended, 'owner');
      const domain = uniqueDomain('susp');
      await createVerified(saml([domain]), suspendedOwner);
      await updateRow(t, 'tenants', suspended.id, { status: 'suspended' });
      expect(
        (
          await t
            .http()
            .post('/v1/sso/discover')
            .send({ email: `a@${domain}` })
        ).status,
      ).toBe(404);
    });
  });

  describe('ssoRequired (a login policy)', () => {
    it('refuses password login for the tenant’s SSO domains with 403 sso_required and the login URL', async () => {
      const strict = await createTenant(t, { settings: { ssoRequired: true } });
      const strictOwner = await userWithRole(t, strict, 'owner');
      const domain = uniqueDomain('strict');
      const connection = await createVerified(saml([domain]), strictOwner);
      const employee = await register(t, strict.slug, `employee@${domain}`);

      for (const email of [employee.user.email, `nobody@${domain}`]) {
        const res = await t
          .http()
          .post('/v1/auth/login')
          .send({ tenant: strict.slug, email, password: STRONG_PASSWORD });
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({
          code: 'sso_required',
          connectionId: connection.id,
          loginUrl: connection.loginUrl,
        });
        // Same answer whether the account exists or the password is right: nothing to enumerate.
        const wrong = await t
          .http()
          .post('/v1/auth/login')
          .send({ tenant: strict.slug, email, password: 'wrong password!' });
        expect(wrong.status).toBe(403);
      }
      // Other domains (the owner's break-glass account) keep their password.
      await login(t, strict.slug, strictOwner.email);
      const reasons = (await auditEvents(t, 'auth.login'))
        .filter((event) => event.tenant_id === strict.id && event.outcome === 'failure')
        .map((event) => metadataOf(event).reason);
      expect(reasons).toContain('sso_required');
    });

    it('does nothing when the setting is off, or for another tenant’s domain', async () => {
      const relaxed = await createTenant(t);
      const relaxedOwner = await userWithRole(t, relaxed, 'owner');
      const domain = uniqueDomain('relaxed');
      await createVerified(saml([domain]), relaxedOwner);
      const user = await register(t, relaxed.slug, `user@${domain}`);
      await login(t, relaxed.slug, user.user.email);
      // A tenant that requires SSO, but for a domain served by another tenant's connection.
      const strict = await createTenant(t, { settings: { ssoRequired: true } });
      const stranger = await register(t, strict.slug, `stranger@${domain}`);
      await login(t, strict.slug, stranger.user.email);
    });
  });
});
