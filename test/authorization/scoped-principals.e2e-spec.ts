import type { RawRule } from '@casl/ability';
import { type PackRule, unpackRules } from '@casl/ability/extra';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../factories';
import {
  type Actor,
  createApiKey,
  createMember,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createClient } from '../oauth/support';
import { createTestApp, type TestApp } from '../support/app';
import { insecure, thirdPartyApp } from './scoped-support';

type Rule = RawRule<string, string>;

/**
 * Attacks of a third-party app holding a user's OAuth token, or of a client-credentials client:
 * it may grant and see only within its scopes.
 */
describe('scoped principals (OAuth tokens and API keys)', () => {
  let t: TestApp;
  let platform: Actor;
  let tenant: TenantFixture;
  let admin: Actor;
  let tokenFor: (user: Actor, scope: string) => Promise<string>;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    platform = await platformAdmin(t);
    tenant = await createTenantWithOwner(t, platform);
    admin = await createMember(t, tenant, ['admin']);
    ({ tokenFor } = await thirdPartyApp(t, admin));
  });
  afterAll(() => t?.close());

  describe('granting is bounded by the scopes (F10)', () => {
    it('an admin’s roles:write token cannot put manage ApiKey or manage User into a role', async () => {
      const roleId = await createRole(t, tenant, 'accomplices', [
        { action: 'update', subject: 'Role' },
      ]);
      const token = await tokenFor(admin, 'openid roles:write');
      for (const subject of ['ApiKey', 'User']) {
        const res = await t
          .http()
          .patch(`/v1/roles/${roleId}`)
          .set(bearer(token))
          .send({
            permissions: [
              { action: 'update', subject: 'Role' },
              { action: 'manage', subject },
            ],
          });
        expect(res.status, subject).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
      const role = await t.http().get(`/v1/roles/${roleId}`).set(admin.headers);
      expect(role.body.permissions).toEqual([{ action: 'update', subject: 'Role' }]);
      // Within its scope the token still grants: roles:write covers changing roles.
      const within = await t
        .http()
        .patch(`/v1/roles/${roleId}`)
        .set(bearer(token))
        .send({
          permissions: [
            { action: 'update', subject: 'Role' },
            { action: 'delete', subject: 'Role' },
          ],
        });
      expect(within.status, JSON.stringify(within.body)).toBe(200);
    });

    it('a root-tenant client with platform-admin and roles:write cannot mint manage Platform', async () => {
      const roles = await t.http().get('/v1/roles?limit=100').set(platform.headers);
      const platformAdminRole = (roles.body.items as { id: string; name: string }[]).find(
        (role) => role.name === 'platform-admin',
      );
      expect(platformAdminRole).toBeDefined();
      const created = await createClient(t, platform.token, {
        name: 'Root automation',
        type: 'confidential',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        scopes: ['roles:write'],
        roleIds: [platformAdminRole?.id],
      });
      const machine = await oidc.discovery(
        new URL(`${t.baseUrl}/oidc`),
        created.clientId,
        undefined,
        oidc.ClientSecretPost(created.clientSecret ?? ''),
        insecure,
      );
      const { access_token: token } = await oidc.clientCredentialsGrant(machine, {
        scope: 'roles:write',
      });
      const minted = await t
        .http()
        .post('/v1/roles')
        .set(bearer(token))
        .send({ name: 'instance-keys', permissions: [{ action: 'manage', subject: 'Platform' }] });
      expect(minted.status).toBe(403);
      expect(minted.body.code).toBe('forbidden');
      const names = (
        await t.http().get('/v1/roles?limit=100').set(platform.headers)
      ).body.items.map((role: { name: string }) => role.name);
      expect(names).not.toContain('instance-keys');
      const within = await t
        .http()
        .post('/v1/roles')
        .set(bearer(token))
        .send({ name: 'role-editors', permissions: [{ action: 'update', subject: 'Role' }] });
      expect(within.status, JSON.stringify(within.body)).toBe(201);
    });
    it('an API key grants only what both its roles and its creator’s current rules hold', async () => {
      const creator = await createMember(t, tenant, ['admin']);
      const key = await createApiKey(t, creator);
      const editors = await createRole(t, tenant, 'role-editors', [
        { action: 'manage', subject: 'Role' },
      ]);
      await t
        .http()
        .put(`/v1/users/${creator.userId}/roles`)
        .set(tenant.owner.headers)
        .send({ roleIds: [editors] })
        .expect(200);
      // The key's admin role holds manage User; its creator no longer does.
      const wide = await t
        .http()
        .post('/v1/roles')
        .set(key.headers)
        .send({ name: 'key-made', permissions: [{ action: 'manage', subject: 'User' }] });
      expect(wide.status).toBe(403);
      const narrow = await t
        .http()
        .post('/v1/roles')
        .set(key.headers)
        .send({ name: 'key-made', permissions: [{ action: 'update', subject: 'Role' }] });
      expect(narrow.status, JSON.stringify(narrow.body)).toBe(201);
    });
  });

  describe('GET /v1/auth/me shows only what the scopes allow (F16)', () => {
    let member: Actor;

    beforeAll(async () => {
      member = await createMember(t, tenant, ['member']);
    });

    it('openid alone: the user’s id and tenant, no email, name, roles or permissions', async () => {
      const res = await t
        .http()
        .get('/v1/auth/me')
        .set(bearer(await tokenFor(member, 'openid')));
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({ id: member.userId, tenantId: tenant.id });
      expect(Object.keys(res.body).sort()).toEqual(['tenant', 'user']);
      expect(JSON.stringify(res.body)).not.toContain(member.email);
    });

    it('openid email: the email and whether it is verified, nothing else of the user', async () => {
      const res = await t
        .http()
        .get('/v1/auth/me')
        .set(bearer(await tokenFor(member, 'openid email')));
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({
        id: member.userId,
        tenantId: tenant.id,
        email: member.email,
        emailVerified: expect.any(Boolean),
      });
      expect(res.body.roles).toBeUndefined();
      expect(res.body.permissions).toBeUndefined();
    });

    it('openid profile users:read: the name, the roles and the scoped permissions', async () => {
      const res = await t
        .http()
        .get('/v1/auth/me')
        .set(bearer(await tokenFor(member, 'openid profile users:read')));
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({
        id: member.userId,
        tenantId: tenant.id,
        name: 'User member',
        roles: [{ id: tenant.roles.member, name: 'member' }],
      });
      expect(res.body.roles).toEqual([{ id: tenant.roles.member, name: 'member' }]);
      const rules = unpackRules<Rule>(res.body.permissions as PackRule<Rule>[]);
      expect(rules.length).toBeGreaterThan(0);
      // users:read: the member's reads of users, and nothing it holds beyond (its projects).
      for (const rule of rules) {
        expect(rule.subject).toEqual(['User']);
        expect(rule.action).toEqual(['read']);
      }
    });

    it('an API key keeps today’s answer: 403, it is no signed-in user', async () => {
      const creator = await createMember(t, tenant, ['admin']);
      const key = await createApiKey(t, creator, { roleIds: [tenant.roles.member] });
      const res = await t.http().get('/v1/auth/me').set(key.headers);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(JSON.stringify(res.body)).not.toContain(creator.email);
    });

    it('a first-party token still sees its whole account', async () => {
      const res = await t.http().get('/v1/auth/me').set(member.headers);
      expect(Object.keys(res.body.user).sort()).toEqual(
        [
          'createdAt',
          'email',
          'emailVerified',
          'id',
          'lastLoginAt',
          'mfaEnabled',
          'name',
          'roles',
          'status',
          'tenantId',
          'version',
        ].sort(),
      );
    });
  });
});
