import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD, uniqueEmail } from '../factories';
import {
  type Actor,
  createMember,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';

describe('users', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let admin: Actor;
  let member: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenantWithOwner(t, await platformAdmin(t));
    admin = await createMember(t, tenant, ['admin']);
    member = await createMember(t, tenant);
  });
  afterAll(() => t.close());

  it('admins create users with a password and roles; the user signs in with them', async () => {
    const email = uniqueEmail('Dev');
    const res = await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({ email, name: 'Dev', password: STRONG_PASSWORD, roleIds: [tenant.roles.member] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      email: email.toLowerCase(),
      name: 'Dev',
      status: 'active',
      roles: [{ name: 'member' }],
    });
    expect(res.body).not.toHaveProperty('passwordHash');
    const login = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
  });

  it('without roleIds a new user is a member; unknown or foreign role ids and taken emails are refused', async () => {
    const res = await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({ email: uniqueEmail(), password: STRONG_PASSWORD });
    expect(res.body.roles.map((role: { name: string }) => role.name)).toEqual(['member']);
    const unknown = await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({
        email: uniqueEmail(),
        password: STRONG_PASSWORD,
        roleIds: ['01900000-0000-7000-8000-000000000000'],
      });
    expect(unknown.status).toBe(400);
    const other = await createTenantWithOwner(t, await platformAdmin(t));
    const foreign = await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({ email: uniqueEmail(), password: STRONG_PASSWORD, roleIds: [other.roles.member] });
    expect(foreign.status).toBe(400);
    const taken = await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({ email: member.email.toUpperCase(), password: STRONG_PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.body.errors).toEqual([{ field: 'email', message: 'already in use' }]);
  });

  it('lists with cursor pagination and searches by email or name, case-insensitively, literal wildcards', async () => {
    const marker = `zq${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++) {
      await t
        .http()
        .post('/v1/users')
        .set(admin.headers)
        .send({
          email: `${marker}${i}@example.com`,
          name: `Person ${i}`,
          password: STRONG_PASSWORD,
        });
    }
    await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({
        email: uniqueEmail(),
        name: `Named ${marker.toUpperCase()}`,
        password: STRONG_PASSWORD,
      });
    const first = await t.http().get(`/v1/users?search=${marker}&limit=2`).set(admin.headers);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t
      .http()
      .get(`/v1/users?search=${marker}&limit=2&cursor=${first.body.nextCursor}`)
      .set(admin.headers);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((user: { id: string }) => user.id);
    expect(new Set(ids).size).toBe(4);
    const wildcard = await t.http().get('/v1/users?search=%25').set(admin.headers);
    expect(wildcard.body.items).toHaveLength(0);
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=not-a-cursor',
      `search=${'x'.repeat(300)}`,
      'role=owner',
    ]) {
      expect((await t.http().get(`/v1/users?${query}`).set(admin.headers)).status, query).toBe(400);
    }
  });

  it('members see only id, name and email of others, and all of themselves', async () => {
    const list = await t.http().get('/v1/users?limit=100').set(member.headers);
    expect(list.status).toBe(200);
    for (const user of list.body.items as { id: string }[]) {
      if (user.id === member.userId) expect(user).toHaveProperty('roles');
      else expect(Object.keys(user).sort()).toEqual(['email', 'id', 'name']);
    }
    const other = await t.http().get(`/v1/users/${admin.userId}`).set(member.headers);
    expect(Object.keys(other.body).sort()).toEqual(['email', 'id', 'name']);
    const self = await t.http().get(`/v1/users/${member.userId}`).set(member.headers);
    expect(self.body).toMatchObject({
      id: member.userId,
      status: 'active',
      roles: [{ name: 'member' }],
    });
  });

  it('members change their own name only; admins change status too', async () => {
    const renamed = await t
      .http()
      .patch(`/v1/users/${member.userId}`)
      .set(member.headers)
      .send({ name: 'New Name' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('New Name');
    expect(
      (
        await t
          .http()
          .patch(`/v1/users/${member.userId}`)
          .set(member.headers)
          .send({ status: 'disabled' })
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .patch(`/v1/users/${admin.userId}`)
          .set(member.headers)
          .send({ name: 'Hacked' })
      ).status,
    ).toBe(403);
    expect((await t.http().get(`/v1/users/${admin.userId}`).set(admin.headers)).body.name).not.toBe(
      'Hacked',
    );

    const target = await createMember(t, tenant);
    const disabled = await t
      .http()
      .patch(`/v1/users/${target.userId}`)
      .set(admin.headers)
      .send({ status: 'disabled' });
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    // Disabled: the access token is refused at once, and login answers like a wrong password.
    expect((await t.http().get('/v1/auth/me').set(target.headers)).status).toBe(401);
    const login = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email: target.email, password: STRONG_PASSWORD });
    expect(login.status).toBe(401);
    expect(login.body.code).toBe('invalid_credentials');
    await t
      .http()
      .patch(`/v1/users/${target.userId}`)
      .set(admin.headers)
      .send({ status: 'active' })
      .expect(200);
    expect(
      (
        await t
          .http()
          .post('/v1/auth/login')
          .send({ tenant: tenant.slug, email: target.email, password: STRONG_PASSWORD })
      ).status,
    ).toBe(200);
    expect(
      (
        await t
          .http()
          .patch(`/v1/users/${admin.userId}`)
          .set(admin.headers)
          .send({ status: 'disabled' })
      ).status,
    ).toBe(403);
  });

  it('delete disables for good, revokes sessions, keeps the audit trail and frees the email', async () => {
    const target = await createMember(t, tenant);
    expect((await t.http().delete(`/v1/users/${target.userId}`).set(admin.headers)).status).toBe(
      204,
    );
    expect((await t.http().get(`/v1/users/${target.userId}`).set(admin.headers)).status).toBe(404);
    expect((await t.http().get('/v1/auth/me').set(target.headers)).status).toBe(401);
    expect(
      (
        await t
          .http()
          .post('/v1/auth/login')
          .send({ tenant: tenant.slug, email: target.email, password: STRONG_PASSWORD })
      ).status,
    ).toBe(401);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id: target.userId });
    expect(events.map((event) => event.action)).toEqual(
      expect.arrayContaining(['user.created', 'user.deleted']),
    );
    const again = await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({ email: target.email, password: STRONG_PASSWORD });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(target.userId);
    expect((await t.http().delete(`/v1/users/${admin.userId}`).set(admin.headers)).status).toBe(
      403,
    );
  });

  it('PUT /v1/users/:id/roles replaces the roles, takes effect at once, and is audited', async () => {
    const target = await createMember(t, tenant);
    const res = await t
      .http()
      .put(`/v1/users/${target.userId}/roles`)
      .set(admin.headers)
      .send({ roleIds: [tenant.roles.admin] });
    expect(res.status).toBe(200);
    expect(res.body.roles.map((role: { name: string }) => role.name)).toEqual(['admin']);
    // Same token, new permissions: roles are not in the token.
    expect((await t.http().get('/v1/roles').set(target.headers)).status).toBe(200);
    await t
      .http()
      .put(`/v1/users/${target.userId}/roles`)
      .set(admin.headers)
      .send({ roleIds: [] })
      .expect(200);
    expect((await t.http().get('/v1/roles').set(target.headers)).status).toBe(403);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id AND action = :action', {
      id: target.userId,
      action: 'user.roles_changed',
    });
    expect(events).toHaveLength(2);
    expect(
      (
        await t
          .http()
          .put(`/v1/users/${target.userId}/roles`)
          .set(admin.headers)
          .send({ roleIds: 'admin' })
      ).status,
    ).toBe(400);
  });

  it('a tenant keeps at least one active owner', async () => {
    const res = await t
      .http()
      .put(`/v1/users/${tenant.owner.userId}/roles`)
      .set(tenant.owner.headers)
      .send({ roleIds: [tenant.roles.admin] });
    expect(res.status).toBe(409);
    const second = await createMember(t, tenant, ['owner']);
    const ok = await t
      .http()
      .put(`/v1/users/${second.userId}/roles`)
      .set(tenant.owner.headers)
      .send({ roleIds: [tenant.roles.member] });
    expect(ok.status).toBe(200);
  });
});
