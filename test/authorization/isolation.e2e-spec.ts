import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../factories';
import {
  createApiKey,
  createMember,
  createProject,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';

/**
 * Tenant isolation holds in the data layer: every route with an id answers 404 for an object of
 * another tenant, exactly as for a missing one, even to that route's most privileged caller.
 */
describe('tenant isolation', () => {
  let t: TestApp;
  let a: TenantFixture;
  let b: TenantFixture;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    const platform = await platformAdmin(t);
    a = await createTenantWithOwner(t, platform);
    b = await createTenantWithOwner(t, platform);
    ids.user = (await createMember(t, b)).userId;
    ids.role = await createRole(t, b, 'b-role', [{ action: 'read', subject: 'Project' }]);
    ids.apiKey = (await createApiKey(t, b.owner)).id;
    ids.project = await createProject(t, b.owner);
  });
  afterAll(() => t.close());

  const missing = '01900000-0000-7000-8000-000000000000';

  it.each([
    ['get', '/v1/users/:id', 'user', undefined],
    ['patch', '/v1/users/:id', 'user', { name: 'x' }],
    ['delete', '/v1/users/:id', 'user', undefined],
    ['put', '/v1/users/:id/roles', 'user', { roleIds: [] }],
    ['get', '/v1/roles/:id', 'role', undefined],
    ['patch', '/v1/roles/:id', 'role', { description: 'x' }],
    ['delete', '/v1/roles/:id', 'role', undefined],
    ['delete', '/v1/api-keys/:id', 'apiKey', undefined],
    ['get', '/v1/projects/:id', 'project', undefined],
    ['patch', '/v1/projects/:id', 'project', { name: 'x' }],
    ['delete', '/v1/projects/:id', 'project', undefined],
  ] as const)(
    '%s %s: another tenant’s id answers exactly like a missing one',
    async (method, path, kind, body) => {
      const foreign = await t
        .http()
        [method](path.replace(':id', ids[kind]))
        .set(a.owner.headers)
        .send(body);
      const absent = await t
        .http()
        [method](path.replace(':id', missing))
        .set(a.owner.headers)
        .send(body);
      expect(foreign.status).toBe(404);
      const strip = ({ requestId: _requestId, ...rest }: Record<string, unknown>) => rest;
      expect(strip(foreign.body)).toEqual(strip(absent.body));
      // And it is still there, untouched, for its own tenant.
      if (kind !== 'apiKey') {
        const own = await t
          .http()
          .get(path.replace(':id', ids[kind]).replace(/\/roles$/, ''))
          .set(b.owner.headers);
        expect(own.status).toBe(200);
      }
    },
  );

  it('lists and searches never show another tenant’s objects', async () => {
    const b2 = await createMember(t, b);
    for (const path of [
      '/v1/users?limit=100',
      `/v1/users?search=${encodeURIComponent(b2.email)}`,
      '/v1/roles?limit=100',
      '/v1/api-keys?limit=100',
      '/v1/projects?limit=100',
    ]) {
      const res = await t.http().get(path).set(a.owner.headers);
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      for (const id of [...Object.values(ids), b2.userId, b.id])
        expect(text, path).not.toContain(id);
    }
  });

  it('roles of another tenant cannot be assigned, and tenant ids in bodies are refused', async () => {
    const user = await createMember(t, a);
    expect(
      (
        await t
          .http()
          .put(`/v1/users/${user.userId}/roles`)
          .set(a.owner.headers)
          .send({ roleIds: [ids.role] })
      ).status,
    ).toBe(400);
    expect(
      (
        await t
          .http()
          .post('/v1/users')
          .set(a.owner.headers)
          .send({ email: 'x@example.com', password: STRONG_PASSWORD, tenantId: b.id })
      ).status,
    ).toBe(400);
    expect(
      (await t.http().post('/v1/projects').set(a.owner.headers).send({ name: 'x', tenantId: b.id }))
        .status,
    ).toBe(400);
  });

  it('ids that are not UUIDs answer 404 without reaching the database', async () => {
    for (const id of ['1', 'abc', "1' OR '1'='1", '..%2F..%2Fetc', `${missing}x`]) {
      const res = await t.http().get(`/v1/users/${id}`).set(a.owner.headers);
      expect(res.status, id).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });
});
