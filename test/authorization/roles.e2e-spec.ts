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
import { selectRows } from '../support/sql';

describe('roles and permissions', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let admin: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenantWithOwner(t, await platformAdmin(t));
    admin = await createMember(t, tenant, ['admin']);
  });
  afterAll(() => t.close());

  it('GET /v1/permissions lists every subject with its actions and fields', async () => {
    const res = await t.http().get('/v1/permissions').set(admin.headers);
    expect(res.status).toBe(200);
    expect(res.body.actions).toEqual(['manage', 'create', 'read', 'update', 'delete']);
    const names = res.body.subjects.map((subject: { name: string }) => subject.name);
    expect(names).toEqual(
      expect.arrayContaining(['User', 'Role', 'Tenant', 'ApiKey', 'AuditEvent', 'Project']),
    );
    expect(
      res.body.subjects.find((subject: { name: string }) => subject.name === 'Project'),
    ).toEqual({
      name: 'Project',
      description: expect.any(String),
      actions: ['manage', 'create', 'read', 'update', 'delete'],
      fields: ['id', 'ownerId', 'name', 'description'],
      scope: 'projects',
    });
  });

  it('built-in roles are listed with their rules and cannot be changed or deleted', async () => {
    const list = await t.http().get('/v1/roles').set(admin.headers);
    const owner = list.body.items.find((role: { name: string }) => role.name === 'owner');
    expect(owner).toMatchObject({
      builtIn: true,
      permissions: [{ action: 'manage', subject: 'all' }],
    });
    const member = list.body.items.find((role: { name: string }) => role.name === 'member');
    expect(member.permissions).toContainEqual({
      action: 'manage',
      subject: 'Project',
      conditions: { ownerId: '${user.id}' },
    });
    for (const name of ['owner', 'admin', 'member']) {
      expect(
        (
          await t
            .http()
            .patch(`/v1/roles/${tenant.roles[name]}`)
            .set(tenant.owner.headers)
            .send({ description: 'x' })
        ).status,
      ).toBe(403);
      expect(
        (await t.http().delete(`/v1/roles/${tenant.roles[name]}`).set(tenant.owner.headers)).status,
      ).toBe(403);
    }
    expect(
      (await t.http().get(`/v1/roles/${tenant.roles.owner}`).set(admin.headers)).body.description,
    ).not.toBe('x');
  });

  it('custom roles: create, read, update, delete, audited; the change reaches holders at once', async () => {
    const id = await createRole(
      t,
      tenant,
      'project-reader',
      [{ action: 'read', subject: 'Project' }],
      admin,
    );
    const holder = await createMember(t, tenant, ['project-reader'], admin);
    expect((await t.http().get('/v1/projects').set(holder.headers)).status).toBe(200);
    expect((await t.http().get('/v1/users').set(holder.headers)).status).toBe(403);

    const updated = await t
      .http()
      .patch(`/v1/roles/${id}`)
      .set(admin.headers)
      .send({
        description: 'reads',
        permissions: [{ action: 'read', subject: 'User', fields: ['id', 'name'] }],
      });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'project-reader',
      description: 'reads',
      builtIn: false,
    });
    expect((await t.http().get('/v1/projects').set(holder.headers)).status).toBe(403);
    const users = await t.http().get('/v1/users').set(holder.headers);
    expect(users.status).toBe(200);
    for (const user of users.body.items) expect(Object.keys(user).sort()).toEqual(['id', 'name']);

    expect((await t.http().delete(`/v1/roles/${id}`).set(admin.headers)).status).toBe(204);
    expect((await t.http().get(`/v1/roles/${id}`).set(admin.headers)).status).toBe(404);
    expect((await t.http().get('/v1/users').set(holder.headers)).status).toBe(403);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id });
    expect(events.map((event) => event.action).sort()).toEqual([
      'role.created',
      'role.deleted',
      'role.updated',
    ]);
  });

  it('conditions may name the caller: a role to update only oneself', async () => {
    await createRole(
      t,
      tenant,
      'self-editor',
      [{ action: 'update', subject: 'Project', conditions: { ownerId: '${user.id}' } }],
      admin,
    );
    const editor = await createMember(t, tenant, ['self-editor', 'member'], admin);
    const project = await t.http().post('/v1/projects').set(editor.headers).send({ name: 'Mine' });
    expect(
      (
        await t
          .http()
          .patch(`/v1/projects/${project.body.id}`)
          .set(editor.headers)
          .send({ name: 'Still mine' })
      ).status,
    ).toBe(200);
  });

  it('validates names and rules against the catalogue', async () => {
    const bad: object[] = [
      { name: 'Bad Name', permissions: [] },
      { name: 'x', permissions: [] },
      { name: 'ok-name', permissions: [{ action: 'fly', subject: 'Project' }] },
      { name: 'ok-name', permissions: [{ action: 'read', subject: 'Spaceship' }] },
      {
        name: 'ok-name',
        permissions: [{ action: 'read', subject: 'Project', fields: ['secret'] }],
      },
      {
        name: 'ok-name',
        permissions: [{ action: 'read', subject: 'Project', conditions: { tenantId: 'other' } }],
      },
      {
        name: 'ok-name',
        permissions: [
          { action: 'read', subject: 'Project', conditions: { ownerId: { $ne: null } } },
        ],
      },
      {
        name: 'ok-name',
        permissions: [{ action: 'read', subject: 'all', conditions: { id: 'x' } }],
      },
      { name: 'ok-name', permissions: [{ action: 'read', subject: 'Project', extra: true }] },
      { name: 'ok-name', permissions: 'all' },
      { name: 'ok-name' },
    ];
    for (const body of bad) {
      const res = await t.http().post('/v1/roles').set(tenant.owner.headers).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await createRole(t, tenant, 'dupe', [], admin);
    expect(
      (await t.http().post('/v1/roles').set(admin.headers).send({ name: 'dupe', permissions: [] }))
        .status,
    ).toBe(409);
    expect(
      (await t.http().post('/v1/roles').set(admin.headers).send({ name: 'owner', permissions: [] }))
        .status,
    ).toBe(409);
  });
});
