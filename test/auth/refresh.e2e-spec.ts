import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { InvalidationBus } from '../../src/common/cache/invalidation-bus';
import { rawDate, selectRows, updateRow } from '../support/sql';

function sessionIdOf(accessToken: string): string {
  return (
    JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }
  ).sid;
}

describe('refresh tokens', () => {
  let t: TestApp;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = (await createTenant(t)).slug;
  });
  afterAll(() => t.close());

  it('rotate on every use: a new pair in the same session, the old token spent', async () => {
    const account = await register(t, tenant);
    const res = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    expect(res.body.refreshToken).not.toBe(account.refreshToken);
    expect(sessionIdOf(res.body.accessToken)).toBe(sessionIdOf(account.accessToken));
    const next = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: res.body.refreshToken });
    expect(next.status).toBe(200);
  });

  it('are stored only as SHA-256 hashes', async () => {
    const account = await register(t, tenant);
    const rows = await selectRows(t, 'refresh_tokens', 'session_id = :sid', {
      sid: sessionIdOf(account.accessToken),
    });
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(account.refreshToken);
    // 256 bits of entropy, base64url.
    expect(account.refreshToken).toMatch(/^[\w-]{43}$/);
  });

  it('reuse of a rotated token revokes the whole family, including the pair it produced', async () => {
    const account = await register(t, tenant);
    const rotated = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(rotated.status).toBe(200);

    const replay = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_token');

    const descendant = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: rotated.body.refreshToken });
    expect(descendant.status).toBe(401);
    for (const token of [account.accessToken, rotated.body.accessToken]) {
      expect((await t.http().get('/v1/auth/me').set(bearer(token))).status).toBe(401);
    }
    const [session] = await selectRows(t, 'sessions', 'id = :id', {
      id: sessionIdOf(account.accessToken),
    });
    expect(session.revoked_reason).toBe('refresh_reuse');

    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'action = :action AND target_id = :sid', {
      action: 'auth.refresh.reuse_detected',
      sid: sessionIdOf(account.accessToken),
    });
    expect(events.length).toBeGreaterThanOrEqual(1);
  });

  it('20 concurrent uses of one token yield exactly one new pair', async () => {
    const account = await register(t, tenant);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http().post('/v1/auth/refresh').send({ refreshToken: account.refreshToken }),
      ),
    );
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
    const rows = await selectRows(t, 'refresh_tokens', 'session_id = :sid', {
      sid: sessionIdOf(account.accessToken),
    });
    // The original and exactly one successor were ever stored.
    expect(rows).toHaveLength(2);
  });

  it('expire after the idle lifetime', async () => {
    const account = await register(t, tenant);
    const [row] = await selectRows(t, 'refresh_tokens', 'session_id = :sid', {
      sid: sessionIdOf(account.accessToken),
    });
    await updateRow(t, 'refresh_tokens', String(row.id), {
      expiresAt: new Date(Date.now() - 1000),
    });
    const res = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(res.status).toBe(401);
  });

  it('end with their session at its absolute lifetime, whatever the refreshes', async () => {
    const account = await register(t, tenant);
    await updateRow(t, 'sessions', sessionIdOf(account.accessToken), {
      expiresAt: new Date(Date.now() - 1000),
    });
    const res = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(res.status).toBe(401);
  });

  it('cap each token at the session end', async () => {
    const account = await register(t, tenant);
    const sid = sessionIdOf(account.accessToken);
    const sessionEnd = new Date(Date.now() + 120_000);
    await updateRow(t, 'sessions', sid, { expiresAt: sessionEnd });
    const res = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(res.status).toBe(200);
    const rows = await selectRows(t, 'refresh_tokens', 'session_id = :sid AND rotated_at IS NULL', {
      sid,
    });
    expect(rawDate(rows[0].expires_at).getTime()).toBeLessThanOrEqual(sessionEnd.getTime());
  });

  it('refuse unknown, empty and oversized tokens', async () => {
    for (const body of [
      { refreshToken: 'unknown' },
      { refreshToken: '' },
      { refreshToken: 'x'.repeat(600) },
      {},
    ]) {
      const res = await t.http().post('/v1/auth/refresh').send(body);
      expect([400, 401]).toContain(res.status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('stop working when the user is disabled', async () => {
    const account = await register(t, tenant);
    await updateRow(t, 'users', account.user.id, { status: 'disabled' });
    // A direct database edit bypasses the services, so tell the caches as they would.
    t.app.get(InvalidationBus).publish('user', account.user.id);
    const res = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(res.status).toBe(401);
  });
});
