import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PasswordHasher } from '../../src/auth/passwords/password-hasher.service';
import { bearer, createTenant, login, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { selectRow, updateRow } from '../support/sql';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  createTestApp,
  ROOT_TENANT,
  type TestApp,
} from '../support/app';

describe('local authentication', () => {
  let t: TestApp;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = (await createTenant(t)).slug;
  });
  afterAll(() => t.close());

  describe('POST /v1/auth/register', () => {
    it('creates a member and signs it in', async () => {
      const email = uniqueEmail('Ada');
      const res = await t
        .http()
        .post('/v1/auth/register')
        .send({ tenant, email, password: STRONG_PASSWORD, name: 'Ada' });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        user: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          tenantId: expect.any(String),
          email: email.toLowerCase(),
          name: 'Ada',
          status: 'active',
          emailVerified: false,
          mfaEnabled: false,
          roles: [{ id: expect.any(String), name: 'member' }],
          createdAt: expect.any(String),
          lastLoginAt: null,
          version: 1,
        },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      // The id is a UUID v7.
      expect(res.body.user.id[14]).toBe('7');
      const me = await t.http().get('/v1/auth/me').set(bearer(res.body.accessToken));
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe(email.toLowerCase());
    });

    it('refuses the root tenant, unknown tenants and closed tenants with 403 signup_disabled', async () => {
      const closed = (await createTenant(t, { settings: { allowSignup: false } })).slug;
      for (const slug of [ROOT_TENANT, 'no-such-tenant', closed]) {
        const res = await t
          .http()
          .post('/v1/auth/register')
          .send({ tenant: slug, email: uniqueEmail(), password: STRONG_PASSWORD });
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body.code).toBe('signup_disabled');
      }
    });

    it('answers 409 conflict naming only the field when the email is taken, whatever its case', async () => {
      const email = uniqueEmail();
      await register(t, tenant, email);
      const res = await t
        .http()
        .post('/v1/auth/register')
        .send({ tenant, email: email.toUpperCase(), password: STRONG_PASSWORD });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('conflict');
      expect(res.body.errors).toEqual([{ field: 'email', message: 'already in use' }]);
      expect(JSON.stringify(res.body)).not.toContain('Test User');
    });

    it('enforces NIST password rules: length, common list, not the email', async () => {
      const email = uniqueEmail('carol');
      const cases: [string, RegExp][] = [
        ['short1!', /at least 8/],
        ['x'.repeat(129), /at most 128/],
        ['password123', /too common/],
        ['iloveyou', /too common/],
        [email, /email/],
      ];
      for (const [password, message] of cases) {
        const res = await t.http().post('/v1/auth/register').send({ tenant, email, password });
        expect(res.status, password).toBe(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors).toEqual([
          { field: 'password', message: expect.stringMatching(message) },
        ]);
      }
    });

    it('validates every field and refuses unknown ones', async () => {
      const bad = [
        { tenant, email: 'not-an-email', password: STRONG_PASSWORD },
        { tenant, email: uniqueEmail(), password: 12345678 },
        { tenant: 'UPPER', email: uniqueEmail(), password: STRONG_PASSWORD },
        { tenant, email: uniqueEmail(), password: STRONG_PASSWORD, role: 'owner' },
        { tenant, email: uniqueEmail(), password: STRONG_PASSWORD, name: 'n'.repeat(201) },
        { tenant, email: `${'a'.repeat(250)}@example.com`, password: STRONG_PASSWORD },
      ];
      for (const body of bad) {
        const res = await t.http().post('/v1/auth/register').send(body);
        expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors.length).toBeGreaterThan(0);
      }
    });
  });

  describe('POST /v1/auth/login', () => {
    it('signs in with the right password and records the time', async () => {
      const account = await register(t, tenant);
      const pair = await login(t, tenant, account.user.email);
      expect(pair.tokenType).toBe('Bearer');
      const me = await t.http().get('/v1/auth/me').set(bearer(pair.accessToken));
      expect(me.body.user.lastLoginAt).not.toBeNull();
    });

    it('answers the same 401 for a wrong tenant, email or password, and verifies a hash each time', async () => {
      const account = await register(t, tenant);
      const hasher = t.app.get(PasswordHasher);
      const verify = vi.spyOn(hasher, 'verify');
      const attempts = [
        { tenant: 'no-such-tenant', email: account.user.email, password: STRONG_PASSWORD },
        { tenant, email: uniqueEmail('nobody'), password: STRONG_PASSWORD },
        { tenant, email: account.user.email, password: 'wrong password entirely' },
        { tenant: ROOT_TENANT, email: account.user.email, password: STRONG_PASSWORD },
      ];
      const bodies = [];
      for (const attempt of attempts) {
        const res = await t.http().post('/v1/auth/login').send(attempt);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toContain('Bearer');
        const { requestId, ...body } = res.body as Record<string, unknown>;
        expect(requestId).toBeTypeOf('string');
        bodies.push(body);
      }
      for (const body of bodies) {
        expect(body).toEqual({
          type: 'urn:gatehouse:problem:invalid_credentials',
          title: 'Invalid credentials',
          status: 401,
          detail: 'The tenant, email or password is not correct.',
          code: 'invalid_credentials',
        });
      }
      // One argon2 verification per attempt, real or against the dummy hash: same cost.
      expect(verify).toHaveBeenCalledTimes(attempts.length);
      verify.mockRestore();
    });

    it('refuses a disabled account with the same answer as a wrong password', async () => {
      const account = await register(t, tenant);
      await updateRow(t, 'users', account.user.id, { status: 'disabled' });
      const res = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant, email: account.user.email, password: STRONG_PASSWORD });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
    });

    it('signs the bootstrap platform admin into the root tenant', async () => {
      const pair = await login(t, ROOT_TENANT, ADMIN_EMAIL, ADMIN_PASSWORD);
      const me = await t.http().get('/v1/auth/me').set(bearer(pair.accessToken));
      expect(me.body.tenant.slug).toBe(ROOT_TENANT);
      expect(me.body.roles.map((role: { name: string }) => role.name)).toEqual(['platform-admin']);
    });

    it('rehashes a password stored with weaker argon2 parameters', async () => {
      const account = await register(t, tenant);
      const argon2 = await import('argon2');
      const weak = await argon2.hash(STRONG_PASSWORD, {
        type: argon2.argon2id,
        memoryCost: 8192,
        timeCost: 1,
        parallelism: 1,
      });
      await updateRow(t, 'users', account.user.id, { passwordHash: weak });
      await login(t, tenant, account.user.email);
      const row = await selectRow(t, 'users', account.user.id);
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      await login(t, tenant, account.user.email);
    });
  });

  describe('GET /v1/auth/me', () => {
    it('answers the user, tenant, roles and packed CASL rules bound to the tenant', async () => {
      const account = await register(t, tenant);
      const res = await t.http().get('/v1/auth/me').set(bearer(account.accessToken));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['permissions', 'roles', 'tenant', 'user']);
      expect(res.body.tenant).toEqual({
        id: account.user.tenantId,
        slug: tenant,
        name: 'Test tenant',
        plan: 'free',
      });
      expect(res.body.roles).toEqual([{ id: expect.any(String), name: 'member' }]);
      const { unpackRules } = await import('@casl/ability/extra');
      const rules = unpackRules(res.body.permissions);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules)
        expect(rule.conditions).toMatchObject({ tenantId: account.user.tenantId });
      expect(rules).toContainEqual(
        expect.objectContaining({
          action: ['update'],
          subject: ['User'],
          fields: ['name'],
          conditions: { id: account.user.id, tenantId: account.user.tenantId },
        }),
      );
    });

    it('answers 401 unauthorized with a Bearer challenge and no token error without credentials', async () => {
      const res = await t.http().get('/v1/auth/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
    });

    it('answers 401 invalid_token for a malformed Authorization header', async () => {
      for (const header of [
        'Bearer',
        'Bearer not-a-jwt',
        'Basic YWRtaW46YWRtaW4=',
        `Bearer ${'a'.repeat(9000)}.b.c`,
      ]) {
        const res = await t.http().get('/v1/auth/me').set('Authorization', header);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('invalid_token');
        expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      }
    });
  });

  describe('logout', () => {
    it('POST /v1/auth/logout revokes the session: its refresh and access tokens stop working', async () => {
      const account = await register(t, tenant);
      const res = await t
        .http()
        .post('/v1/auth/logout')
        .send({ refreshToken: account.refreshToken });
      expect(res.status).toBe(204);
      const refresh = await t
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: account.refreshToken });
      expect(refresh.status).toBe(401);
      const me = await t.http().get('/v1/auth/me').set(bearer(account.accessToken));
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('invalid_token');
    });

    it('POST /v1/auth/logout is idempotent for unknown tokens', async () => {
      const res = await t.http().post('/v1/auth/logout').send({ refreshToken: 'never-issued' });
      expect(res.status).toBe(204);
    });

    it('POST /v1/auth/logout-all revokes every session of the caller and no one else', async () => {
      const account = await register(t, tenant);
      const second = await login(t, tenant, account.user.email);
      const other = await register(t, tenant);
      const res = await t.http().post('/v1/auth/logout-all').set(bearer(account.accessToken));
      expect(res.status).toBe(204);
      for (const token of [account.accessToken, second.accessToken]) {
        expect((await t.http().get('/v1/auth/me').set(bearer(token))).status).toBe(401);
      }
      for (const refreshToken of [account.refreshToken, second.refreshToken]) {
        expect((await t.http().post('/v1/auth/refresh').send({ refreshToken })).status).toBe(401);
      }
      expect((await t.http().get('/v1/auth/me').set(bearer(other.accessToken))).status).toBe(200);
    });

    it('POST /v1/auth/logout-all needs a bearer token', async () => {
      expect((await t.http().post('/v1/auth/logout-all')).status).toBe(401);
    });
  });
});
