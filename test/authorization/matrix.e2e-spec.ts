import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD, uniqueEmail, uniqueSlug } from '../factories';
import {
  type Actor,
  createApiKey,
  createMember,
  createProject,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';

type PrincipalName =
  'owner' | 'admin' | 'member' | 'auditor' | 'apiKey' | 'platform' | 'otherAdmin';
const PRINCIPALS: PrincipalName[] = [
  'owner',
  'admin',
  'member',
  'auditor',
  'apiKey',
  'platform',
  'otherAdmin',
];

interface Case {
  route: string;
  /** Makes a fresh target in tenant A (as its owner) and answers its id. */
  target?: (t: TestApp, a: TenantFixture) => Promise<string>;
  call: (
    t: TestApp,
    headers: Record<string, string>,
    id: string,
  ) => Promise<{ status: number; body: unknown }>;
  /** What the tenant A owner sees of the target (or of the collection) before and after. */
  snapshot: (t: TestApp, a: TenantFixture, id: string) => Promise<unknown>;
  expect: Record<PrincipalName, number>;
}

const all = (
  status: number,
  overrides: Partial<Record<PrincipalName, number>> = {},
): Record<PrincipalName, number> => ({
  ...(Object.fromEntries(PRINCIPALS.map((name) => [name, status])) as Record<
    PrincipalName,
    number
  >),
  ...overrides,
});

const newUser = async (t: TestApp, a: TenantFixture) =>
  (
    await t
      .http()
      .post('/v1/users')
      .set(a.owner.headers)
      .send({ email: uniqueEmail('target'), password: STRONG_PASSWORD })
  ).body.id as string;
const newRole = (t: TestApp, a: TenantFixture) =>
  createRole(t, a, `r${Math.random().toString(36).slice(2, 10)}`, [
    { action: 'read', subject: 'Project' },
  ]);
const newKey = async (t: TestApp, a: TenantFixture) => (await createApiKey(t, a.owner)).id;
const newProject = (t: TestApp, a: TenantFixture) => createProject(t, a.owner, 'Target');
const get = (path: string) => async (t: TestApp, a: TenantFixture, id: string) =>
  (await t.http().get(path.replace(':id', id)).set(a.owner.headers)).body as unknown;
const list = (path: string) => async (t: TestApp, a: TenantFixture) => {
  const body = (await t.http().get(`${path}?limit=100`).set(a.owner.headers)).body as {
    items: { id: string }[];
  };
  return body.items.map((item) => item.id).sort();
};

const CASES: Case[] = [
  {
    route: 'GET /v1/users',
    call: (t, h) => t.http().get('/v1/users').set(h),
    snapshot: list('/v1/users'),
    expect: all(200),
  },
  {
    route: 'POST /v1/users',
    call: (t, h) =>
      t
        .http()
        .post('/v1/users')
        .set(h)
        .send({ email: uniqueEmail('new'), password: STRONG_PASSWORD }),
    snapshot: list('/v1/users'),
    expect: all(403, { owner: 201, admin: 201, platform: 201, otherAdmin: 201 }),
  },
  {
    route: 'GET /v1/users/:id',
    target: newUser,
    call: (t, h, id) => t.http().get(`/v1/users/${id}`).set(h),
    snapshot: get('/v1/users/:id'),
    expect: all(200, { platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'PATCH /v1/users/:id',
    target: newUser,
    call: (t, h, id) => t.http().patch(`/v1/users/${id}`).set(h).send({ name: 'Changed' }),
    snapshot: get('/v1/users/:id'),
    expect: all(403, { owner: 200, admin: 200, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'DELETE /v1/users/:id',
    target: newUser,
    call: (t, h, id) => t.http().delete(`/v1/users/${id}`).set(h),
    snapshot: get('/v1/users/:id'),
    expect: all(403, { owner: 204, admin: 204, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'PUT /v1/users/:id/roles',
    target: newUser,
    call: (t, h, id) => t.http().put(`/v1/users/${id}/roles`).set(h).send({ roleIds: [] }),
    snapshot: get('/v1/users/:id'),
    expect: all(403, { owner: 200, admin: 200, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'GET /v1/roles',
    call: (t, h) => t.http().get('/v1/roles').set(h),
    snapshot: list('/v1/roles'),
    expect: all(200, { member: 403, apiKey: 403 }),
  },
  {
    route: 'POST /v1/roles',
    call: (t, h) =>
      t
        .http()
        .post('/v1/roles')
        .set(h)
        .send({ name: `m${Math.random().toString(36).slice(2, 10)}`, permissions: [] }),
    snapshot: list('/v1/roles'),
    expect: all(403, { owner: 201, admin: 201, platform: 201, otherAdmin: 201 }),
  },
  {
    route: 'GET /v1/roles/:id',
    target: newRole,
    call: (t, h, id) => t.http().get(`/v1/roles/${id}`).set(h),
    snapshot: get('/v1/roles/:id'),
    expect: all(200, { member: 403, apiKey: 403, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'PATCH /v1/roles/:id',
    target: newRole,
    call: (t, h, id) => t.http().patch(`/v1/roles/${id}`).set(h).send({ description: 'changed' }),
    snapshot: get('/v1/roles/:id'),
    expect: all(403, { owner: 200, admin: 200, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'DELETE /v1/roles/:id',
    target: newRole,
    call: (t, h, id) => t.http().delete(`/v1/roles/${id}`).set(h),
    snapshot: get('/v1/roles/:id'),
    expect: all(403, { owner: 204, admin: 204, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'GET /v1/permissions',
    call: (t, h) => t.http().get('/v1/permissions').set(h),
    snapshot: list('/v1/roles'),
    expect: all(200, { member: 403, apiKey: 403 }),
  },
  {
    route: 'GET /v1/tenants/current',
    call: (t, h) => t.http().get('/v1/tenants/current').set(h),
    snapshot: get('/v1/tenants/current'),
    expect: all(200, { member: 403, auditor: 403, apiKey: 403 }),
  },
  {
    route: 'PATCH /v1/tenants/current',
    call: (t, h) =>
      t
        .http()
        .patch('/v1/tenants/current')
        .set(h)
        .send({ settings: { requireEmailVerification: false } }),
    snapshot: get('/v1/tenants/current'),
    expect: all(200, { member: 403, auditor: 403, apiKey: 403 }),
  },
  {
    route: 'GET /v1/tenants',
    call: (t, h) => t.http().get('/v1/tenants').set(h),
    snapshot: get('/v1/tenants/current'),
    expect: all(403, { platform: 200 }),
  },
  {
    route: 'POST /v1/tenants',
    call: (t, h) =>
      t
        .http()
        .post('/v1/tenants')
        .set(h)
        .send({
          slug: uniqueSlug('m'),
          name: 'M',
          owner: { email: uniqueEmail(), password: STRONG_PASSWORD },
        }),
    snapshot: get('/v1/tenants/current'),
    expect: all(403, { platform: 201 }),
  },
  {
    route: 'GET /v1/tenants/:id',
    target: (_t, a) => Promise.resolve(a.id),
    call: (t, h, id) => t.http().get(`/v1/tenants/${id}`).set(h),
    snapshot: get('/v1/tenants/current'),
    expect: all(403, { platform: 200 }),
  },
  {
    route: 'PATCH /v1/tenants/:id',
    target: (_t, a) => Promise.resolve(a.id),
    call: (t, h, id) => t.http().patch(`/v1/tenants/${id}`).set(h).send({ plan: 'free' }),
    snapshot: get('/v1/tenants/current'),
    expect: all(403, { platform: 200 }),
  },
  {
    route: 'DELETE /v1/tenants/:id',
    target: async (t) => (await createTenantWithOwner(t, await platformAdmin(t))).id,
    call: (t, h, id) => t.http().delete(`/v1/tenants/${id}`).set(h),
    snapshot: get('/v1/tenants/current'),
    expect: all(403, { platform: 204 }),
  },
  {
    route: 'GET /v1/api-keys',
    call: (t, h) => t.http().get('/v1/api-keys').set(h),
    snapshot: list('/v1/api-keys'),
    expect: all(200, { member: 403, auditor: 403, apiKey: 403 }),
  },
  {
    route: 'POST /v1/api-keys',
    call: (t, h) => t.http().post('/v1/api-keys').set(h).send({ name: 'matrix', roleIds: [] }),
    snapshot: list('/v1/api-keys'),
    expect: all(403, { owner: 201, admin: 201, platform: 201, otherAdmin: 201 }),
  },
  {
    route: 'DELETE /v1/api-keys/:id',
    target: newKey,
    call: (t, h, id) => t.http().delete(`/v1/api-keys/${id}`).set(h),
    snapshot: list('/v1/api-keys'),
    expect: all(403, { owner: 204, admin: 204, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'GET /v1/projects',
    call: (t, h) => t.http().get('/v1/projects').set(h),
    snapshot: list('/v1/projects'),
    expect: all(200),
  },
  {
    route: 'POST /v1/projects',
    call: (t, h) => t.http().post('/v1/projects').set(h).send({ name: 'Matrix' }),
    snapshot: list('/v1/projects'),
    expect: all(201, { auditor: 403 }),
  },
  {
    route: 'GET /v1/projects/:id',
    target: newProject,
    call: (t, h, id) => t.http().get(`/v1/projects/${id}`).set(h),
    snapshot: get('/v1/projects/:id'),
    expect: all(200, { platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'PATCH /v1/projects/:id',
    target: newProject,
    call: (t, h, id) => t.http().patch(`/v1/projects/${id}`).set(h).send({ name: 'Changed' }),
    snapshot: get('/v1/projects/:id'),
    expect: all(403, { owner: 200, admin: 200, platform: 404, otherAdmin: 404 }),
  },
  {
    route: 'DELETE /v1/projects/:id',
    target: newProject,
    call: (t, h, id) => t.http().delete(`/v1/projects/${id}`).set(h),
    snapshot: get('/v1/projects/:id'),
    expect: all(403, { owner: 204, admin: 204, platform: 404, otherAdmin: 404 }),
  },
];

describe('authorization matrix: principal × management route', () => {
  let t: TestApp;
  let a: TenantFixture;
  const headers = {} as Record<PrincipalName, Record<string, string>>;

  beforeAll(async () => {
    t = await createTestApp();
    const platform = await platformAdmin(t);
    a = await createTenantWithOwner(t, platform);
    const b = await createTenantWithOwner(t, platform);
    const admin: Actor = await createMember(t, a, ['admin']);
    await createRole(t, a, 'auditor', [
      { action: 'read', subject: 'User' },
      { action: 'read', subject: 'Role' },
      { action: 'read', subject: 'Project' },
    ]);
    headers.owner = a.owner.headers;
    headers.admin = admin.headers;
    headers.member = (await createMember(t, a)).headers;
    headers.auditor = (await createMember(t, a, ['auditor'])).headers;
    headers.apiKey = (await createApiKey(t, admin, { roleIds: [a.roles.member] })).headers;
    headers.platform = platform.headers;
    headers.otherAdmin = (await createMember(t, b, ['admin'])).headers;
  });
  afterAll(() => t.close());

  for (const testCase of CASES) {
    it(`${testCase.route}`, async () => {
      for (const principal of PRINCIPALS) {
        const id = testCase.target ? await testCase.target(t, a) : '';
        const before = await testCase.snapshot(t, a, id);
        const res = await testCase.call(t, headers[principal], id);
        const expected = testCase.expect[principal];
        expect(res.status, `${principal}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(
          expected,
        );
        if (expected >= 400) {
          expect(res.body, principal).toMatchObject({
            code: expected === 404 ? 'not_found' : 'forbidden',
          });
          // A refused call changed nothing.
          expect(await testCase.snapshot(t, a, id), `${principal} changed something`).toEqual(
            before,
          );
        }
      }
    });
  }
});
