import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Actor,
  createMember,
  createProject,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';
import { uniqueDomain } from '../sso/support/sso-fixtures';
import { createIdpKeys, type IdpKeys, removeIdpKeys } from '../sso/support/saml-idp';

/**
 * PATCH follows JSON Merge Patch (RFC 7396): an absent field is unchanged, null clears a field
 * that may be empty and is refused (400 naming it) on one that may not, nested objects merge
 * and lists replace. The first cases answered 500 (or 200 ignoring the null) before.
 */
describe('PATCH semantics (JSON Merge Patch)', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let owner: Actor;
  let member: Actor;
  let roleId: string;
  let projectId: string;
  let keys: IdpKeys;

  beforeAll(async () => {
    t = await createTestApp();
    keys = createIdpKeys();
    tenant = await createTenantWithOwner(t, await platformAdmin(t));
    owner = tenant.owner;
    member = await createMember(t, tenant);
    roleId = await createRole(t, tenant, 'reviewer', [{ action: 'read', subject: 'Project' }]);
    projectId = await createProject(t, owner, 'Apollo');
  });
  afterAll(async () => {
    await t.close();
    removeIdpKeys();
  });

  const patch = (path: string, body: unknown) =>
    t
      .http()
      .patch(path)
      .set(owner.headers)
      .send(body as object);
  const read = async (path: string) => {
    const res = await t.http().get(path).set(owner.headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Record<string, unknown>;
  };

  function expectRefusedNull(
    res: { status: number; body: unknown; headers: object },
    field: string,
  ) {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect((res.headers as Record<string, string>)['content-type']).toMatch(
      /^application\/problem\+json/,
    );
    expect(res.body).toMatchObject({
      status: 400,
      code: 'validation_failed',
      errors: [{ field, message: expect.stringContaining('cannot be null') }],
    });
  }

  it.each([
    ['users', 'status'],
    ['roles', 'permissions'],
    ['projects', 'name'],
  ])(
    'PATCH /v1/%s/:id with {"%s": null} answers 400 naming the field (was 500)',
    async (collection, field) => {
      const id = { users: member.userId, roles: roleId, projects: projectId }[collection];
      const path = `/v1/${collection}/${id}`;
      const before = await read(path);
      expectRefusedNull(await patch(path, { [field]: null }), field);
      expect(await read(path)).toEqual(before);
    },
  );

  it('PATCH /v1/users/:id {"name": null} clears the name and keeps the status (was 500)', async () => {
    const path = `/v1/users/${member.userId}`;
    const res = await patch(path, { name: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.name).toBe('');
    expect(await read(path)).toMatchObject({ name: '', status: 'active', email: member.email });
  });

  it('PATCH /v1/roles/:id {"description": null} clears it (was 500)', async () => {
    const path = `/v1/roles/${roleId}`;
    expect((await patch(path, { description: 'Reads projects' })).status).toBe(200);
    const res = await patch(path, { description: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.description).toBe('');
    const stored = await read(path);
    expect(stored.description).toBe('');
    expect(stored.permissions).toEqual([{ action: 'read', subject: 'Project' }]);
  });

  it('PATCH /v1/projects/:id {"description": null} clears it and keeps the name (was 500)', async () => {
    const path = `/v1/projects/${projectId}`;
    expect((await patch(path, { description: 'Moon shot' })).status).toBe(200);
    const res = await patch(path, { description: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await read(path)).toMatchObject({ name: 'Apollo', description: '' });
  });

  it('PATCH /v1/tenants/current {"name": null} answers 400 (was 200, ignoring it)', async () => {
    const before = await read('/v1/tenants/current');
    expectRefusedNull(await patch('/v1/tenants/current', { name: null }), 'name');
    expectRefusedNull(await patch('/v1/tenants/current', { settings: null }), 'settings');
    expectRefusedNull(
      await patch('/v1/tenants/current', { settings: { allowSignup: null } }),
      'settings.allowSignup',
    );
    expect(await read('/v1/tenants/current')).toEqual(before);
  });

  it('merges tenant settings: an absent setting keeps its value, null clears a nullable one', async () => {
    const allowlist = ['https://app.example.com/callback'];
    const first = await patch('/v1/tenants/current', {
      settings: { requireEmailVerification: true, redirectAllowlist: allowlist },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const before = (await read('/v1/tenants/current')).settings as Record<string, unknown>;
    expect(before).toMatchObject({ requireEmailVerification: true, redirectAllowlist: allowlist });

    const res = await patch('/v1/tenants/current', { settings: { ssoRequired: true } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await read('/v1/tenants/current')).settings).toEqual({ ...before, ssoRequired: true });

    const cleared = await patch('/v1/tenants/current', { settings: { redirectAllowlist: null } });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect((await read('/v1/tenants/current')).settings).toEqual({
      ...before,
      ssoRequired: true,
      redirectAllowlist: null,
    });
  });

  it('refuses null on the platform fields of a tenant', async () => {
    const platform = await platformAdmin(t);
    for (const field of ['name', 'plan', 'status']) {
      const res = await t
        .http()
        .patch(`/v1/tenants/${tenant.id}`)
        .set(platform.headers)
        .send({ [field]: null });
      expectRefusedNull(res, field);
    }
  });

  it('OAuth clients: lists replace, null clears a list that may be empty', async () => {
    const created = await t
      .http()
      .post('/v1/oauth/clients')
      .set(owner.headers)
      .send({
        name: 'Dashboard',
        type: 'public',
        redirectUris: ['https://app.example.com/cb'],
        postLogoutRedirectUris: ['https://app.example.com/bye'],
        grantTypes: ['authorization_code'],
        scopes: ['openid'],
      });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const path = `/v1/oauth/clients/${created.body.id}`;
    expectRefusedNull(await patch(path, { redirectUris: null }), 'redirectUris');
    expectRefusedNull(await patch(path, { name: null }), 'name');
    const replaced = await patch(path, {
      redirectUris: ['https://app.example.com/cb2', 'https://app.example.com/cb3'],
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    const res = await patch(path, { postLogoutRedirectUris: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await read(path)).toMatchObject({
      name: 'Dashboard',
      redirectUris: ['https://app.example.com/cb2', 'https://app.example.com/cb3'],
      postLogoutRedirectUris: [],
    });
  });

  it('SSO connections: the attribute mapping and the SAML settings merge', async () => {
    const created = await t
      .http()
      .post('/v1/sso/connections')
      .set(owner.headers)
      .send({
        type: 'saml',
        name: 'Corp IdP',
        domains: [uniqueDomain()],
        attributeMapping: { email: 'mail', name: 'displayName' },
        saml: {
          idpEntityId: 'https://idp.corp.example',
          ssoUrl: 'https://idp.corp.example/sso',
          certificate: keys.certificate,
        },
      });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const path = `/v1/sso/connections/${created.body.id}`;
    const merged = await patch(path, {
      attributeMapping: { groups: 'memberOf', name: null },
      saml: { ssoUrl: 'https://idp.corp.example/sso2' },
    });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    const stored = await read(path);
    expect(stored.attributeMapping).toEqual({ email: 'mail', groups: 'memberOf' });
    expect(stored.saml).toMatchObject({
      idpEntityId: 'https://idp.corp.example',
      ssoUrl: 'https://idp.corp.example/sso2',
    });
    expectRefusedNull(await patch(path, { saml: null }), 'saml');
    expectRefusedNull(await patch(path, { saml: { certificate: null } }), 'saml.certificate');
    const cleared = await patch(path, { attributeMapping: null });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect((await read(path)).attributeMapping ?? null).toBeNull();
  });

  // Found by the OpenAPI fuzzer: optional fields of create bodies let null through as well.
  it.each([
    ['/v1/users', { email: 'null.password@example.com', password: null }, 'password'],
    [
      '/v1/roles',
      {
        name: 'null-conditions',
        permissions: [{ action: 'read', subject: 'Project', conditions: null }],
      },
      'permissions.0.conditions',
    ],
    [
      '/v1/roles',
      { name: 'null-fields', permissions: [{ action: 'read', subject: 'Project', fields: null }] },
      'permissions.0.fields',
    ],
  ])('POST %s refuses null where a value is needed (was 500)', async (path, body, field) => {
    const res = await t.http().post(path).set(owner.headers).send(body);
    expectRefusedNull(res, field);
  });

  it('PATCH /v1/roles/:id refuses a rule with null fields (was 500)', async () => {
    const res = await patch(`/v1/roles/${roleId}`, {
      permissions: [{ action: 'read', subject: 'Project', fields: null }],
    });
    expectRefusedNull(res, 'permissions.0.fields');
  });

  it('an empty patch changes nothing', async () => {
    const path = `/v1/projects/${projectId}`;
    const before = await read(path);
    const res = await patch(path, {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await read(path)).toMatchObject({ name: before.name, description: before.description });
  });

  it('documents which fields may be cleared', async () => {
    const doc = (await t.http().get('/docs-json')).body as {
      components: {
        schemas: Record<string, { properties: Record<string, { nullable?: boolean }> }>;
      };
    };
    const nullable = (schema: string) =>
      Object.entries(doc.components.schemas[schema].properties)
        .filter(([, property]) => property.nullable === true)
        .map(([name]) => name)
        .sort();
    expect(nullable('UpdateUserDto')).toEqual(['name']);
    expect(nullable('UpdateRoleDto')).toEqual(['description']);
    expect(nullable('UpdateProjectDto')).toEqual(['description']);
    expect(nullable('UpdateCurrentTenantDto')).toEqual([]);
    expect(nullable('UpdateTenantSettingsDto')).toEqual(['redirectAllowlist', 'socialProviders']);
    expect(nullable('UpdateTenantDto')).toEqual([]);
    expect(nullable('UpdateOAuthClientDto')).toEqual(['postLogoutRedirectUris', 'roleIds']);
    expect(nullable('UpdateSsoConnectionDto')).toEqual(['attributeMapping', 'defaultRoleIds']);
  });
});
