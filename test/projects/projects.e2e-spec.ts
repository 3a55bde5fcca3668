import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Actor,
  createMember,
  createProject,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';

describe('projects (the sample protected resource)', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let admin: Actor;
  let alice: Actor;
  let bob: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenantWithOwner(t, await platformAdmin(t));
    admin = await createMember(t, tenant, ['admin']);
    alice = await createMember(t, tenant);
    bob = await createMember(t, tenant);
  });
  afterAll(() => t.close());

  it('a member creates a project it owns, and updates and deletes it', async () => {
    const res = await t
      .http()
      .post('/v1/projects')
      .set(alice.headers)
      .send({ name: 'Alpha', description: 'first' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      tenantId: tenant.id,
      ownerId: alice.userId,
      name: 'Alpha',
      description: 'first',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const updated = await t
      .http()
      .patch(`/v1/projects/${res.body.id}`)
      .set(alice.headers)
      .send({ name: 'Alpha 2' });
    expect(updated.status).toBe(200);
    expect(updated.body.name).toBe('Alpha 2');
    expect((await t.http().delete(`/v1/projects/${res.body.id}`).set(alice.headers)).status).toBe(
      204,
    );
    expect((await t.http().get(`/v1/projects/${res.body.id}`).set(alice.headers)).status).toBe(404);
  });

  it("a member reads another member's project but cannot change or delete it", async () => {
    const id = await createProject(t, bob, 'Bob’s');
    expect((await t.http().get(`/v1/projects/${id}`).set(alice.headers)).status).toBe(200);
    const update = await t
      .http()
      .patch(`/v1/projects/${id}`)
      .set(alice.headers)
      .send({ name: 'Hijacked' });
    expect(update.status).toBe(403);
    expect((await t.http().delete(`/v1/projects/${id}`).set(alice.headers)).status).toBe(403);
    expect((await t.http().get(`/v1/projects/${id}`).set(bob.headers)).body.name).toBe('Bob’s');
  });

  it('admins and owners update and delete any project of their tenant', async () => {
    const id = await createProject(t, bob);
    const res = await t
      .http()
      .patch(`/v1/projects/${id}`)
      .set(admin.headers)
      .send({ description: 'reviewed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ownerId: bob.userId, description: 'reviewed' });
    expect((await t.http().delete(`/v1/projects/${id}`).set(tenant.owner.headers)).status).toBe(
      204,
    );
  });

  it('lists every project of the tenant and nothing of others', async () => {
    const other = await createTenantWithOwner(t, await platformAdmin(t));
    const foreign = await createProject(t, other.owner, 'Foreign');
    const mine = await createProject(t, alice, 'Listed');
    const list = await t.http().get('/v1/projects?limit=100').set(alice.headers);
    const ids = list.body.items.map((project: { id: string }) => project.id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(foreign);
    expect((await t.http().get(`/v1/projects/${foreign}`).set(tenant.owner.headers)).status).toBe(
      404,
    );
  });

  it('validates input and the owner cannot be set by the client', async () => {
    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(201) },
      { name: 'x', ownerId: bob.userId },
      { name: 'x', tenantId: tenant.id },
    ]) {
      expect(
        (await t.http().post('/v1/projects').set(alice.headers).send(body)).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    const id = await createProject(t, alice);
    expect(
      (await t.http().patch(`/v1/projects/${id}`).set(alice.headers).send({ ownerId: bob.userId }))
        .status,
    ).toBe(400);
  });

  it('audits creation, change and deletion', async () => {
    const id = await createProject(t, alice);
    await t
      .http()
      .patch(`/v1/projects/${id}`)
      .set(alice.headers)
      .send({ name: 'Audited' })
      .expect(200);
    await t.http().delete(`/v1/projects/${id}`).set(alice.headers).expect(204);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id });
    expect(events.map((event) => event.action).sort()).toEqual([
      'project.created',
      'project.deleted',
      'project.updated',
    ]);
    for (const event of events) expect(event.actor_id).toBe(alice.userId);
  });
});
