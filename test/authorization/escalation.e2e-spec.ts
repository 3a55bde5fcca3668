import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Actor,
  createMember,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';

/** Nobody grants a permission they do not hold: every attempt answers 403 and changes nothing. */
describe('privilege escalation', () => {
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

  const rolesOf = async (userId: string) =>
    (
      (await t.http().get(`/v1/users/${userId}`).set(tenant.owner.headers)).body.roles as {
        name: string;
      }[]
    )
      .map((role) => role.name)
      .sort();
  const roleNames = async () =>
    (
      (await t.http().get('/v1/roles?limit=100').set(tenant.owner.headers)).body.items as {
        name: string;
      }[]
    )
      .map((role) => role.name)
      .sort();

  it('a role with more rules than the caller holds', async () => {
    const before = await roleNames();
    for (const permissions of [
      [{ action: 'manage', subject: 'all' }],
      [{ action: 'update', subject: 'Tenant', fields: ['plan'] }],
      [{ action: 'update', subject: 'Tenant' }],
      [{ action: 'manage', subject: 'Platform' }],
    ]) {
      const res = await t
        .http()
        .post('/v1/roles')
        .set(admin.headers)
        .send({ name: 'grab', permissions });
      expect(res.status, JSON.stringify(permissions)).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect(await roleNames()).toEqual(before);
  });

  it('widening an existing role beyond the caller', async () => {
    const id = await createRole(
      t,
      tenant,
      'narrow',
      [{ action: 'read', subject: 'Project' }],
      admin,
    );
    const res = await t
      .http()
      .patch(`/v1/roles/${id}`)
      .set(admin.headers)
      .send({ permissions: [{ action: 'manage', subject: 'all' }] });
    expect(res.status).toBe(403);
    expect((await t.http().get(`/v1/roles/${id}`).set(admin.headers)).body.permissions).toEqual([
      { action: 'read', subject: 'Project' },
    ]);
  });

  it('touching a role wider than the caller (made by the owner)', async () => {
    const id = await createRole(t, tenant, 'tenant-editor', [
      { action: 'update', subject: 'Tenant' },
    ]);
    expect(
      (await t.http().patch(`/v1/roles/${id}`).set(admin.headers).send({ permissions: [] })).status,
    ).toBe(403);
    expect((await t.http().delete(`/v1/roles/${id}`).set(admin.headers)).status).toBe(403);
    expect((await t.http().get(`/v1/roles/${id}`).set(admin.headers)).status).toBe(200);
  });

  it('assigning owner, or a role wider than the caller, to someone else', async () => {
    const id = await createRole(t, tenant, 'tenant-admin2', [
      { action: 'update', subject: 'Tenant' },
    ]);
    for (const roleIds of [[tenant.roles.owner], [id]]) {
      const res = await t
        .http()
        .put(`/v1/users/${member.userId}/roles`)
        .set(admin.headers)
        .send({ roleIds });
      expect(res.status).toBe(403);
    }
    const created = await t
      .http()
      .post('/v1/users')
      .set(admin.headers)
      .send({
        email: 'owner2@example.com',
        password: 'a long and unusual passphrase',
        roleIds: [tenant.roles.owner],
      });
    expect(created.status).toBe(403);
    expect(await rolesOf(member.userId)).toEqual(['member']);
  });

  it('self-promotion: a member or an admin raising its own roles', async () => {
    const self = await t
      .http()
      .put(`/v1/users/${member.userId}/roles`)
      .set(member.headers)
      .send({ roleIds: [tenant.roles.admin] });
    expect(self.status).toBe(403);
    const adminSelf = await t
      .http()
      .put(`/v1/users/${admin.userId}/roles`)
      .set(admin.headers)
      .send({ roleIds: [tenant.roles.owner] });
    expect(adminSelf.status).toBe(403);
    expect(await rolesOf(member.userId)).toEqual(['member']);
    expect(await rolesOf(admin.userId)).toEqual(['admin']);
  });

  it('an admin disabling, deleting or re-roling an owner', async () => {
    const owner2 = await createMember(t, tenant, ['owner']);
    expect(
      (
        await t
          .http()
          .patch(`/v1/users/${owner2.userId}`)
          .set(admin.headers)
          .send({ status: 'disabled' })
      ).status,
    ).toBe(403);
    expect((await t.http().delete(`/v1/users/${owner2.userId}`).set(admin.headers)).status).toBe(
      403,
    );
    expect(
      (
        await t
          .http()
          .put(`/v1/users/${owner2.userId}/roles`)
          .set(admin.headers)
          .send({ roleIds: [] })
      ).status,
    ).toBe(403);
    expect((await t.http().get('/v1/auth/me').set(owner2.headers)).status).toBe(200);
  });

  it('an API key wider than its creator', async () => {
    const res = await t
      .http()
      .post('/v1/api-keys')
      .set(admin.headers)
      .send({ name: 'wide', roleIds: [tenant.roles.owner] });
    expect(res.status).toBe(403);
  });

  it('changing a built-in role', async () => {
    const res = await t
      .http()
      .patch(`/v1/roles/${tenant.roles.member}`)
      .set(tenant.owner.headers)
      .send({ permissions: [{ action: 'manage', subject: 'all' }] });
    expect(res.status).toBe(403);
    expect((await t.http().get('/v1/roles').set(member.headers)).status).toBe(403);
  });

  it('a member cannot create roles at all, even narrow ones', async () => {
    expect(
      (await t.http().post('/v1/roles').set(member.headers).send({ name: 'mine', permissions: [] }))
        .status,
    ).toBe(403);
  });
});
