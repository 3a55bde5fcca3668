import { expect } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_TENANT, type TestApp } from '../support/app';
import { bearer, login, STRONG_PASSWORD, uniqueEmail, uniqueSlug } from './index';

export interface Actor {
  token: string;
  userId: string;
  email: string;
  headers: Record<string, string>;
}

export interface TenantFixture {
  id: string;
  slug: string;
  owner: Actor;
  /** Role ids by name (built-in and any created). */
  roles: Record<string, string>;
}

export async function platformAdmin(t: TestApp): Promise<Actor> {
  const pair = await login(t, ROOT_TENANT, ADMIN_EMAIL, ADMIN_PASSWORD);
  const me = await t.http().get('/v1/auth/me').set(bearer(pair.accessToken));
  return {
    token: pair.accessToken,
    userId: me.body.user.id,
    email: ADMIN_EMAIL,
    headers: bearer(pair.accessToken),
  };
}

/** A tenant made through the platform API, with its owner signed in. */
export async function createTenantWithOwner(
  t: TestApp,
  platform: Actor,
  options: { plan?: 'free' | 'pro' | 'enterprise' } = {},
): Promise<TenantFixture> {
  const slug = uniqueSlug('acme');
  const email = uniqueEmail('owner');
  const res = await t
    .http()
    .post('/v1/tenants')
    .set(platform.headers)
    .send({
      slug,
      name: `Tenant ${slug}`,
      plan: options.plan,
      owner: { email, name: 'Owner', password: STRONG_PASSWORD },
    });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const pair = await login(t, slug, email);
  const owner = {
    token: pair.accessToken,
    userId: res.body.owner.id,
    email,
    headers: bearer(pair.accessToken),
  };
  const roles = await t.http().get('/v1/roles?limit=100').set(owner.headers);
  expect(roles.status).toBe(200);
  return {
    id: res.body.tenant.id,
    slug,
    owner,
    roles: Object.fromEntries(
      roles.body.items.map((role: { id: string; name: string }) => [role.name, role.id]),
    ),
  };
}

/** A user of the tenant with the given roles, created by `by` and signed in. */
export async function createMember(
  t: TestApp,
  tenant: TenantFixture,
  roleNames: string[] = ['member'],
  by: Actor = tenant.owner,
): Promise<Actor> {
  const email = uniqueEmail(roleNames.join('-') || 'user');
  const res = await t
    .http()
    .post('/v1/users')
    .set(by.headers)
    .send({
      email,
      name: `User ${roleNames.join(' ')}`,
      password: STRONG_PASSWORD,
      roleIds: roleNames.map((name) => tenant.roles[name]),
    });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const pair = await login(t, tenant.slug, email);
  return { token: pair.accessToken, userId: res.body.id, email, headers: bearer(pair.accessToken) };
}

export async function createRole(
  t: TestApp,
  tenant: TenantFixture,
  name: string,
  permissions: object[],
  by: Actor = tenant.owner,
): Promise<string> {
  const res = await t.http().post('/v1/roles').set(by.headers).send({ name, permissions });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  tenant.roles[name] = res.body.id;
  return res.body.id as string;
}

export async function createApiKey(
  t: TestApp,
  by: Actor,
  body: { name?: string; roleIds?: string[]; expiresAt?: string } = {},
): Promise<{ id: string; key: string; headers: Record<string, string> }> {
  const res = await t
    .http()
    .post('/v1/api-keys')
    .set(by.headers)
    .send({ name: 'test key', ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, key: res.body.key, headers: { 'X-API-Key': res.body.key } };
}

export async function createProject(t: TestApp, by: Actor, name = 'Project'): Promise<string> {
  const res = await t
    .http()
    .post('/v1/projects')
    .set(by.headers)
    .send({ name, description: 'test' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}
