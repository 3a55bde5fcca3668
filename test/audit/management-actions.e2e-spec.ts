import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, createTenantWithOwner, platformAdmin } from '../factories/tenancy';
import type { Actor, TenantFixture } from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';
import { type AuditItem, auditEvents } from './helpers';

const USER_AGENT = 'gatehouse-audit-test/1.0';

/**
 * SPEC §11 for the management API: each change is recorded once, in the chain of the tenant
 * whose administrator made it, with the actor, the target, the request's IP, user agent and id,
 * and the names of the changed fields (never their values when they could be secret).
 */
describe('audit events of management actions', () => {
  let t: TestApp;
  let platform: Actor;
  let acme: TenantFixture;

  beforeAll(async () => {
    t = await createTestApp();
    platform = await platformAdmin(t);
    acme = await createTenantWithOwner(t, platform);
  });
  afterAll(() => t.close());

  /** The one event of this action on this target, read back through the API. */
  async function onlyEvent(actor: Actor, action: string, targetId: string): Promise<AuditItem> {
    const events = await auditEvents(t, actor.token, { action, targetId });
    expect(events, `${action} on ${targetId}`).toHaveLength(1);
    return events[0];
  }

  it('tenant.created, tenant.updated and tenant.deleted go to the platform chain, by the platform admin', async () => {
    const created = await t
      .http()
      .post('/v1/tenants')
      .set(platform.headers)
      .set('user-agent', USER_AGENT)
      .send({
        slug: `audited-${Date.now().toString(36)}`,
        name: 'Audited',
        owner: { email: 'owner@audited.test', password: 'a long and unusual passphrase' },
      });
    expect(created.status).toBe(201);
    const id = created.body.tenant.id as string;
    const patched = await t
      .http()
      .patch(`/v1/tenants/${id}`)
      .set(platform.headers)
      .send({ plan: 'pro', status: 'suspended' });
    expect(patched.status).toBe(200);
    expect((await t.http().delete(`/v1/tenants/${id}`).set(platform.headers)).status).toBe(204);

    const rootId = (await t.http().get('/v1/tenants/current').set(platform.headers)).body
      .id as string;
    const creation = await onlyEvent(platform, 'tenant.created', id);
    expect(creation).toMatchObject({
      tenantId: rootId,
      actor: { type: 'user', id: platform.userId },
      target: { type: 'tenant', id },
      outcome: 'success',
      userAgent: USER_AGENT,
      ip: expect.any(String),
      requestId: expect.any(String),
      metadata: { plan: 'free' },
    });
    const update = await onlyEvent(platform, 'tenant.updated', id);
    expect(update.metadata).toMatchObject({ status: 'suspended' });
    expect(update.metadata.fields).toEqual(expect.arrayContaining(['plan', 'status']));
    expect(await onlyEvent(platform, 'tenant.deleted', id)).toMatchObject({
      actor: { id: platform.userId },
      outcome: 'success',
    });
  });

  it('tenant.updated for tenants/current goes to the tenant chain, with the changed settings', async () => {
    const res = await t
      .http()
      .patch('/v1/tenants/current')
      .set(acme.owner.headers)
      .send({ name: 'Acme renamed', settings: { requireEmailVerification: false } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const event = await onlyEvent(acme.owner, 'tenant.updated', acme.id);
    expect(event).toMatchObject({
      tenantId: acme.id,
      actor: { type: 'user', id: acme.owner.userId },
    });
    expect(event.metadata.fields).toEqual(
      expect.arrayContaining(['name', 'settings.requireEmailVerification']),
    );
  });

  it('user.updated names the fields, user.roles_changed the roles, user.deleted the target', async () => {
    const member = await createMember(t, acme);
    const patched = await t
      .http()
      .patch(`/v1/users/${member.userId}`)
      .set(acme.owner.headers)
      .send({ name: 'Renamed member' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const update = await onlyEvent(acme.owner, 'user.updated', member.userId);
    expect(update).toMatchObject({
      tenantId: acme.id,
      actor: { type: 'user', id: acme.owner.userId },
      target: { type: 'user', id: member.userId },
    });
    expect(update.metadata.fields).toEqual(['name']);
    expect(JSON.stringify(update)).not.toContain('Renamed member');

    // A member may rename themself: recorded with the member as the actor.
    const own = await t
      .http()
      .patch(`/v1/users/${member.userId}`)
      .set(member.headers)
      .send({ name: 'Self-named' });
    expect(own.status).toBe(200);
    const updates = await auditEvents(t, acme.owner.token, {
      action: 'user.updated',
      targetId: member.userId,
    });
    expect(updates.map((event) => event.actor.id).sort()).toEqual(
      [acme.owner.userId, member.userId].sort(),
    );

    const roles = await t
      .http()
      .put(`/v1/users/${member.userId}/roles`)
      .set(acme.owner.headers)
      .send({ roleIds: [acme.roles.admin] });
    expect(roles.status).toBe(200);
    await onlyEvent(acme.owner, 'user.roles_changed', member.userId);

    expect(
      (await t.http().delete(`/v1/users/${member.userId}`).set(acme.owner.headers)).status,
    ).toBe(204);
    await onlyEvent(acme.owner, 'user.deleted', member.userId);
  });

  it('oauth.client.updated names the changed fields; the rotated secret appears nowhere', async () => {
    const created = await t
      .http()
      .post('/v1/oauth/clients')
      .set(acme.owner.headers)
      .send({
        name: 'Audited client',
        type: 'confidential',
        redirectUris: ['https://app.example.com/cb'],
        grantTypes: ['authorization_code'],
        scopes: ['openid'],
      });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const patched = await t
      .http()
      .patch(`/v1/oauth/clients/${id}`)
      .set(acme.owner.headers)
      .send({ name: 'Renamed client', redirectUris: ['https://app.example.com/cb2'] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const rotated = await t.http().post(`/v1/oauth/clients/${id}/secret`).set(acme.owner.headers);
    expect(rotated.status).toBe(200);

    const update = await onlyEvent(acme.owner, 'oauth.client.updated', id);
    expect(update).toMatchObject({
      actor: { type: 'user', id: acme.owner.userId },
      target: { id },
    });
    expect(update.metadata.fields).toEqual(expect.arrayContaining(['name', 'redirectUris']));
    const rotation = await onlyEvent(acme.owner, 'oauth.client.secret_rotated', id);
    const everything = JSON.stringify([
      await onlyEvent(acme.owner, 'oauth.client.created', id),
      update,
      rotation,
    ]);
    expect(everything).not.toContain(created.body.clientSecret as string);
    expect(everything).not.toContain(rotated.body.clientSecret as string);
  });

  it('access.denied: once for every refusal, whether the route, an object check or escalation refused', async () => {
    const member = await createMember(t, acme);
    const admin = await createMember(t, acme, ['admin']);
    const denials = async (actor: Actor) =>
      auditEvents(t, acme.owner.token, { action: 'access.denied', actorId: actor.userId });

    // The route's permission: members may not read the audit log.
    expect((await t.http().get('/v1/audit-events').set(member.headers)).status).toBe(403);
    // An object-level check in the service: a member may rename only themself.
    const other = await t
      .http()
      .patch(`/v1/users/${acme.owner.userId}`)
      .set(member.headers)
      .send({ name: 'Not mine' });
    expect(other.status).toBe(403);
    const byMember = await denials(member);
    expect(byMember).toHaveLength(2);
    expect(byMember.find((event) => event.metadata.route === '/v1/audit-events')).toMatchObject({
      target: { type: 'AuditEvent' },
      metadata: { required: 'read AuditEvent', error: 'forbidden', method: 'GET' },
    });
    expect(byMember.find((event) => event.metadata.method === 'PATCH')).toMatchObject({
      tenantId: acme.id,
      target: { id: acme.owner.userId },
      metadata: { route: '/v1/users/:id' },
    });

    // Privilege escalation: an admin cannot hand out the owner role it does not hold.
    const escalation = await t
      .http()
      .put(`/v1/users/${member.userId}/roles`)
      .set(admin.headers)
      .send({ roleIds: [acme.roles.owner] });
    expect(escalation.status).toBe(403);
    const [denied, ...more] = await denials(admin);
    expect(more).toEqual([]);
    expect(denied).toMatchObject({
      outcome: 'failure',
      actor: { type: 'user', id: admin.userId },
      target: { id: member.userId },
      metadata: { method: 'PUT', route: '/v1/users/:id/roles' },
      requestId: escalation.headers['x-request-id'],
    });
  });
});
