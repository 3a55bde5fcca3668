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

describe('__names__', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let other: TenantFixture;
  let admin: Actor;
  let alice: Actor;
  let bob: Actor;

  const create = async (by: Actor, name = 'Item'): Promise<string> => {
    const res = await t.http().post('/v1/__names__').set(by.headers).send({ name, description: 'test' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const platform = await platformAdmin(t);
    tenant = await createTenantWithOwner(t, platform);
    other = await createTenantWithOwner(t, platform);
    admin = await createMember(t, tenant, ['admin']);
    alice = await createMember(t, tenant);
    bob = await createMember(t, tenant);
  });
  afterAll(() => t.close());

  it('a member creates one it owns, and reads, updates and deletes it', async () => {
    const res = await t
      .http()
      .post('/v1/__names__')
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
    const id = res.body.id as string;
    expect((await t.http().get(`/v1/__names__/${id}`).set(alice.headers)).body.name).toBe('Alpha');
    const updated = await t.http().patch(`/v1/__names__/${id}`).set(alice.headers).send({ name: 'Alpha 2' });
    expect(updated.status).toBe(200);
    expect(updated.body.name).toBe('Alpha 2');
    expect((await t.http().delete(`/v1/__names__/${id}`).set(alice.headers)).status).toBe(204);
    expect((await t.http().get(`/v1/__names__/${id}`).set(alice.headers)).status).toBe(404);
  });

  it("a member reads another member's but cannot change or delete it", async () => {
    const id = await create(bob, 'Bob’s');
    expect((await t.http().get(`/v1/__names__/${id}`).set(alice.headers)).status).toBe(200);
    const update = await t.http().patch(`/v1/__names__/${id}`).set(alice.headers).send({ name: 'Hijacked' });
    expect(update.status).toBe(403);
    expect(update.body.code).toBe('forbidden');
    expect((await t.http().delete(`/v1/__names__/${id}`).set(alice.headers)).status).toBe(403);
    expect((await t.http().get(`/v1/__names__/${id}`).set(bob.headers)).body.name).toBe('Bob’s');
  });

  it('admins and owners change and delete any of their tenant', async () => {
    const id = await create(bob);
    const res = await t.http().patch(`/v1/__names__/${id}`).set(admin.headers).send({ description: 'reviewed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ownerId: bob.userId, description: 'reviewed' });
    expect((await t.http().delete(`/v1/__names__/${id}`).set(tenant.owner.headers)).status).toBe(204);
  });

  it("another tenant's are not found, not even by its owner, and never listed", async () => {
    const foreign = await create(other.owner, 'Foreign');
    const mine = await create(alice, 'Listed');
    for (const res of [
      await t.http().get(`/v1/__names__/${foreign}`).set(tenant.owner.headers),
      await t.http().patch(`/v1/__names__/${foreign}`).set(tenant.owner.headers).send({ name: 'x' }),
      await t.http().delete(`/v1/__names__/${foreign}`).set(tenant.owner.headers),
      await t.http().get(`/v1/__names__/${mine}`).set(other.owner.headers),
      await t.http().delete(`/v1/__names__/${mine}`).set(other.owner.headers),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    const list = await t.http().get('/v1/__names__?limit=100').set(alice.headers);
    const ids = list.body.items.map((row: { id: string }) => row.id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(foreign);
    const theirs = await t.http().get('/v1/__names__?limit=100').set(other.owner.headers);
    expect(theirs.body.items.map((row: { id: string }) => row.id)).toEqual([foreign]);
  });

  it('refuses a role without the permission, lets a reader only read, and wants a token', async () => {
    await createRole(t, tenant, 'no-__names__', [{ action: 'read', subject: 'User' }]);
    await createRole(t, tenant, '__names__-reader', [{ action: 'read', subject: '__Name__' }]);
    const outsider = await createMember(t, tenant, ['no-__names__']);
    const reader = await createMember(t, tenant, ['__names__-reader']);
    const id = await create(alice);
    for (const res of [
      await t.http().get('/v1/__names__').set(outsider.headers),
      await t.http().get(`/v1/__names__/${id}`).set(outsider.headers),
      await t.http().post('/v1/__names__').set(outsider.headers).send({ name: 'x' }),
      await t.http().post('/v1/__names__').set(reader.headers).send({ name: 'x' }),
      await t.http().patch(`/v1/__names__/${id}`).set(reader.headers).send({ name: 'x' }),
      await t.http().delete(`/v1/__names__/${id}`).set(reader.headers),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect((await t.http().get(`/v1/__names__/${id}`).set(reader.headers)).status).toBe(200);
    expect((await t.http().get('/v1/__names__')).status).toBe(401);
    expect((await t.http().post('/v1/__names__').send({ name: 'x' })).status).toBe(401);
  });

  it('validates input, and neither owner nor tenant can be set by the client', async () => {
    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(201) },
      { name: 'x', ownerId: bob.userId },
      { name: 'x', tenantId: other.id },
    ]) {
      const res = await t.http().post('/v1/__names__').set(alice.headers).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const id = await create(alice);
    const res = await t.http().patch(`/v1/__names__/${id}`).set(alice.headers).send({ ownerId: bob.userId });
    expect(res.status).toBe(400);
    expect((await t.http().get('/v1/__names__/not-a-uuid').set(alice.headers)).status).toBe(404);
  });

  it('audits creation, change and deletion', async () => {
    const id = await create(alice);
    await t.http().patch(`/v1/__names__/${id}`).set(alice.headers).send({ name: 'Audited' }).expect(200);
    await t.http().delete(`/v1/__names__/${id}`).set(alice.headers).expect(204);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id });
    expect(events.map((event) => event.action).sort()).toEqual([
      '__key__.created',
      '__key__.deleted',
      '__key__.updated',
    ]);
    for (const event of events) expect(event.actor_id).toBe(alice.userId);
  });
});
