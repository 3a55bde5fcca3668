import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, STRONG_PASSWORD, uniqueEmail, uniqueSlug } from '../factories';
import {
  type Actor,
  createMember,
  createTenantWithOwner,
  platformAdmin,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';

describe('tenants', () => {
  let t: TestApp;
  let platform: Actor;

  beforeAll(async () => {
    t = await createTestApp({
      env: { GITHUB_CLIENT_ID: 'gh-id', GITHUB_CLIENT_SECRET: 'gh-secret' },
    });
    platform = await platformAdmin(t);
  });
  afterAll(() => t.close());

  describe('platform API (/v1/tenants)', () => {
    it('creates a tenant with its owner: 201 {tenant, owner}; the owner signs in with the owner role', async () => {
      const slug = uniqueSlug('corp');
      const email = uniqueEmail('boss');
      const res = await t
        .http()
        .post('/v1/tenants')
        .set(platform.headers)
        .send({
          slug,
          name: 'Corp',
          plan: 'pro',
          owner: { email, name: 'Boss', password: STRONG_PASSWORD },
        });
      expect(res.status).toBe(201);
      expect(res.body.tenant).toEqual({
        id: expect.any(String),
        slug,
        name: 'Corp',
        plan: 'pro',
        status: 'active',
        settings: {
          allowSignup: true,
          requireEmailVerification: false,
          requireMfaForAdmins: false,
          socialProviders: ['github'],
          ssoRequired: false,
          redirectAllowlist: null,
        },
        createdAt: expect.any(String),
        version: 1,
      });
      expect(res.body.owner).toMatchObject({
        email,
        name: 'Boss',
        tenantId: res.body.tenant.id,
        roles: [{ name: 'owner' }],
      });
      const login = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: slug, email, password: STRONG_PASSWORD });
      expect(login.status).toBe(200);
      const me = await t.http().get('/v1/auth/me').set(bearer(login.body.accessToken));
      expect(me.body.roles.map((role: { name: string }) => role.name)).toEqual(['owner']);
      // The built-in roles exist in the new tenant; platform-admin only in the root tenant.
      const roles = await t.http().get('/v1/roles').set(bearer(login.body.accessToken));
      expect(roles.body.items.map((role: { name: string }) => role.name).sort()).toEqual([
        'admin',
        'member',
        'owner',
      ]);
    });

    it('refuses a taken slug (409), a bad slug, a weak owner password and unknown fields (400)', async () => {
      const fixture = await createTenantWithOwner(t, platform);
      const owner = { email: uniqueEmail(), password: STRONG_PASSWORD };
      expect(
        (
          await t
            .http()
            .post('/v1/tenants')
            .set(platform.headers)
            .send({ slug: fixture.slug, name: 'X', owner })
        ).status,
      ).toBe(409);
      for (const body of [
        { slug: 'A', name: 'X', owner },
        { slug: '-bad-', name: 'X', owner },
        { slug: uniqueSlug(), name: 'X', owner: { email: uniqueEmail(), password: 'password' } },
        { slug: uniqueSlug(), name: 'X', owner, isRoot: true },
        { slug: uniqueSlug(), name: 'X', plan: 'platinum', owner },
        { slug: uniqueSlug(), name: 'X' },
      ]) {
        const res = await t.http().post('/v1/tenants').set(platform.headers).send(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
    });

    it('lists, reads and updates tenants; suspension locks its users out and reactivation lets them back', async () => {
      const fixture = await createTenantWithOwner(t, platform);
      const member = await createMember(t, fixture);
      const list = await t.http().get('/v1/tenants?limit=100').set(platform.headers);
      expect(list.status).toBe(200);
      expect(list.body.items.map((tenant: { id: string }) => tenant.id)).toContain(fixture.id);
      expect(
        (await t.http().get(`/v1/tenants/${fixture.id}`).set(platform.headers)).body.slug,
      ).toBe(fixture.slug);

      const suspended = await t
        .http()
        .patch(`/v1/tenants/${fixture.id}`)
        .set(platform.headers)
        .send({ status: 'suspended', plan: 'enterprise' });
      expect(suspended.status).toBe(200);
      expect(suspended.body).toMatchObject({ status: 'suspended', plan: 'enterprise' });
      expect((await t.http().get('/v1/auth/me').set(member.headers)).status).toBe(401);
      const refused = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: fixture.slug, email: member.email, password: STRONG_PASSWORD });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('invalid_credentials');

      await t
        .http()
        .patch(`/v1/tenants/${fixture.id}`)
        .set(platform.headers)
        .send({ status: 'active' })
        .expect(200);
      const again = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: fixture.slug, email: member.email, password: STRONG_PASSWORD });
      expect(again.status).toBe(200);
    });

    it('deletes a tenant and everything it owns; the root tenant cannot be deleted or suspended', async () => {
      const fixture = await createTenantWithOwner(t, platform);
      expect(
        (await t.http().delete(`/v1/tenants/${fixture.id}`).set(platform.headers)).status,
      ).toBe(204);
      expect((await t.http().get(`/v1/tenants/${fixture.id}`).set(platform.headers)).status).toBe(
        404,
      );
      expect((await t.http().get('/v1/auth/me').set(fixture.owner.headers)).status).toBe(401);
      const root = (await t.http().get('/v1/auth/me').set(platform.headers)).body.tenant
        .id as string;
      expect((await t.http().delete(`/v1/tenants/${root}`).set(platform.headers)).status).toBe(403);
      expect(
        (
          await t
            .http()
            .patch(`/v1/tenants/${root}`)
            .set(platform.headers)
            .send({ status: 'suspended' })
        ).status,
      ).toBe(403);
      expect((await t.http().get('/v1/auth/me').set(platform.headers)).status).toBe(200);
    });

    it('is for platform admins only: a tenant owner gets 403 and changes nothing', async () => {
      const fixture = await createTenantWithOwner(t, platform);
      const other = await createTenantWithOwner(t, platform);
      for (const [method, path, body] of [
        ['get', '/v1/tenants', undefined],
        [
          'post',
          '/v1/tenants',
          {
            slug: uniqueSlug(),
            name: 'X',
            owner: { email: uniqueEmail(), password: STRONG_PASSWORD },
          },
        ],
        ['get', `/v1/tenants/${other.id}`, undefined],
        ['patch', `/v1/tenants/${other.id}`, { status: 'suspended' }],
        ['delete', `/v1/tenants/${other.id}`, undefined],
        ['patch', `/v1/tenants/${fixture.id}`, { plan: 'enterprise' }],
      ] as const) {
        const res = await t.http()[method](path).set(fixture.owner.headers).send(body);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
      const check = await t.http().get(`/v1/tenants/${other.id}`).set(platform.headers);
      expect(check.body).toMatchObject({ status: 'active', plan: 'free' });
    });
  });

  describe('/v1/tenants/current', () => {
    it('owners and admins read it and change its name and settings; members cannot', async () => {
      const fixture = await createTenantWithOwner(t, platform);
      const admin = await createMember(t, fixture, ['admin']);
      const member = await createMember(t, fixture);

      const read = await t.http().get('/v1/tenants/current').set(admin.headers);
      expect(read.status).toBe(200);
      expect(read.body.id).toBe(fixture.id);

      const changed = await t
        .http()
        .patch('/v1/tenants/current')
        .set(admin.headers)
        .send({
          name: 'Renamed',
          settings: { allowSignup: false, requireEmailVerification: true, socialProviders: [] },
        });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        name: 'Renamed',
        settings: {
          allowSignup: false,
          requireEmailVerification: true,
          socialProviders: [],
          ssoRequired: false,
        },
      });
      const register = await t
        .http()
        .post('/v1/auth/register')
        .send({ tenant: fixture.slug, email: uniqueEmail(), password: STRONG_PASSWORD });
      expect(register.status).toBe(403);
      expect(register.body.code).toBe('signup_disabled');

      expect((await t.http().get('/v1/tenants/current').set(member.headers)).status).toBe(403);
      expect(
        (await t.http().patch('/v1/tenants/current').set(member.headers).send({ name: 'Mine' }))
          .status,
      ).toBe(403);
      expect((await t.http().get('/v1/tenants/current').set(fixture.owner.headers)).body.name).toBe(
        'Renamed',
      );
    });

    it('validates settings: unknown providers, unknown keys, wrong types, plan or status are not for tenants', async () => {
      const fixture = await createTenantWithOwner(t, platform);
      for (const body of [
        { settings: { socialProviders: ['google'] } },
        { settings: { allowSignup: 'yes' } },
        { settings: { superAdmin: true } },
        { plan: 'enterprise' },
        { status: 'suspended' },
        { name: '' },
      ]) {
        const res = await t
          .http()
          .patch('/v1/tenants/current')
          .set(fixture.owner.headers)
          .send(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
    });

    it('the root tenant never opens sign-up', async () => {
      const res = await t
        .http()
        .patch('/v1/tenants/current')
        .set(platform.headers)
        .send({ settings: { allowSignup: true } });
      expect(res.status).toBe(400);
    });
  });
});
