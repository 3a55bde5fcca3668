import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type Actor,
  createApiKey,
  createMember,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';

describe('API keys', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let admin: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenantWithOwner(t, await platformAdmin(t));
    admin = await createMember(t, tenant, ['admin']);
  });
  afterAll(() => t.close());

  it('are shown once as gat_<prefix>_<secret>, stored only as a hash, and listed without the secret', async () => {
    const res = await t.http().post('/v1/api-keys').set(admin.headers).send({ name: 'deploys' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'deploys',
      prefix: expect.stringMatching(/^[0-9a-f]{12}$/),
      key: expect.stringMatching(/^gat_[0-9a-f]{12}_[\w-]{43}$/),
      roles: [{ id: tenant.roles.admin, name: 'admin' }],
      expiresAt: null,
      createdAt: expect.any(String),
    });
    expect(res.body.key.startsWith(`gat_${res.body.prefix}_`)).toBe(true);
    const rows = await selectRows(t, 'api_keys', 'id = :id', { id: res.body.id });
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    // The secret is base64url and may itself contain '_', so cut the known head off the key.
    const secret = res.body.key.slice(`gat_${res.body.prefix}_`.length);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(rows)).not.toContain(secret);
    const list = await t.http().get('/v1/api-keys').set(admin.headers);
    const listed = list.body.items.find((item: { id: string }) => item.id === res.body.id);
    expect(listed).toMatchObject({
      id: res.body.id,
      prefix: res.body.prefix,
      roles: [{ name: 'admin' }],
    });
    expect(JSON.stringify(list.body)).not.toContain(res.body.key);
  });

  it('authenticate with X-API-Key within the key’s roles, and record when they were used', async () => {
    const key = await createApiKey(t, admin, { roleIds: [tenant.roles.member] });
    expect((await t.http().get('/v1/projects').set(key.headers)).status).toBe(200);
    // A member-role key cannot manage roles, although its creator can.
    expect((await t.http().get('/v1/roles').set(key.headers)).status).toBe(403);
    expect((await t.http().get('/v1/roles').set(admin.headers)).status).toBe(200);
    // last_used_at is written after the answer, off the request's path: wait for it.
    await vi.waitFor(
      async () => {
        const rows = await selectRows(t, 'api_keys', 'id = :id', { id: key.id });
        expect(rows[0].last_used_at).not.toBeNull();
      },
      { timeout: 5000, interval: 25 },
    );
  });

  it('are never wider than their creator: more roles than the creator holds answer 403', async () => {
    const res = await t
      .http()
      .post('/v1/api-keys')
      .set(admin.headers)
      .send({ name: 'wide', roleIds: [tenant.roles.owner] });
    expect(res.status).toBe(403);
    expect(
      (await t.http().get('/v1/api-keys').set(admin.headers)).body.items.map(
        (k: { name: string }) => k.name,
      ),
    ).not.toContain('wide');
  });

  it('act only within the creator’s current permissions: a demotion takes effect without a new key', async () => {
    const creator = await createMember(t, tenant, ['admin']);
    const key = await createApiKey(t, creator);
    expect((await t.http().get('/v1/roles').set(key.headers)).status).toBe(200);
    await t
      .http()
      .put(`/v1/users/${creator.userId}/roles`)
      .set(tenant.owner.headers)
      .send({ roleIds: [tenant.roles.member] })
      .expect(200);
    expect((await t.http().get('/v1/roles').set(key.headers)).status).toBe(403);
    // The creator's removal ends the key.
    await t.http().delete(`/v1/users/${creator.userId}`).set(tenant.owner.headers).expect(204);
    const res = await t.http().get('/v1/projects').set(key.headers);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('revoked, expired, malformed and unknown keys answer 401 invalid_token', async () => {
    const key = await createApiKey(t, admin);
    expect((await t.http().delete(`/v1/api-keys/${key.id}`).set(admin.headers)).status).toBe(204);
    expect((await t.http().delete(`/v1/api-keys/${key.id}`).set(admin.headers)).status).toBe(404);
    // Three seconds leave a busy CI worker room to create and use the key before it expires.
    const soon = await createApiKey(t, admin, {
      expiresAt: new Date(Date.now() + 3000).toISOString(),
    });
    expect((await t.http().get('/v1/projects').set(soon.headers)).status).toBe(200);
    // A live key with one character of its secret changed. The first character, not the last:
    // the last of 43 base64url characters carries two padding bits, so A and B decode the same.
    const live = await createApiKey(t, admin);
    expect((await t.http().get('/v1/projects').set(live.headers)).status).toBe(200);
    const at = live.key.length - 43;
    const tampered = `${live.key.slice(0, at)}${live.key[at] === 'A' ? 'B' : 'A'}${live.key.slice(at + 1)}`;
    await new Promise((resolve) => setTimeout(resolve, 3100));
    for (const value of [
      key.key,
      soon.key,
      tampered,
      'gat_000000000000_' + 'A'.repeat(43),
      'not-a-key',
      `${key.key}x`,
    ]) {
      const res = await t.http().get('/v1/projects').set('X-API-Key', value);
      expect(res.status, value.slice(0, 20)).toBe(401);
      expect(res.body.code).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('validate input: expiry in the past, unknown fields, unknown roles', async () => {
    for (const body of [
      { name: 'x', expiresAt: new Date(Date.now() - 1000).toISOString() },
      { name: 'x', expiresAt: 'tomorrow' },
      { name: '' },
      { name: 'x', scopes: ['all'] },
      { name: 'x', roleIds: ['01900000-0000-7000-8000-000000000000'] },
    ]) {
      expect(
        (await t.http().post('/v1/api-keys').set(admin.headers).send(body)).status,
        JSON.stringify(body),
      ).toBe(400);
    }
  });

  it('only users create keys: a key cannot mint another', async () => {
    const key = await createApiKey(t, admin);
    const res = await t.http().post('/v1/api-keys').set(key.headers).send({ name: 'child' });
    expect(res.status).toBe(403);
  });

  it('audit creation and revocation', async () => {
    const key = await createApiKey(t, admin);
    await t.http().delete(`/v1/api-keys/${key.id}`).set(admin.headers).expect(204);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id: key.id });
    expect(events.map((event) => event.action).sort()).toEqual([
      'api_key.created',
      'api_key.revoked',
    ]);
    expect(JSON.stringify(events)).not.toContain(key.key);
  });
});
