import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OneTimeCodeService } from '../../src/auth/exchange/one-time-code.service';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';

describe('POST /v1/auth/exchange (one-time codes of social and SSO logins)', () => {
  let t: TestApp;
  let user: { id: string; tenantId: string };

  beforeAll(async () => {
    t = await createTestApp();
    user = (await register(t, (await createTenant(t)).slug)).user;
  });
  afterAll(() => t.close());

  const issue = (method: 'social' | 'sso' = 'social') =>
    t.app.get(OneTimeCodeService).issue(user, method);

  it('trades a fresh code for a token pair in a new session, and stores only its hash', async () => {
    const code = await issue();
    expect(code).toMatch(/^[\w-]{43}$/);
    const rows = await selectRows(t, 'one_time_codes', 'user_id = :id', { id: user.id });
    expect(JSON.stringify(rows)).not.toContain(code);
    const res = await t.http().post('/v1/auth/exchange').send({ code });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    const me = await t.http().get('/v1/auth/me').set(bearer(res.body.accessToken));
    expect(me.body.user.id).toBe(user.id);
  });

  it('a replayed code answers 400 invalid_token and revokes the session its first use opened', async () => {
    const code = await issue('sso');
    const first = await t.http().post('/v1/auth/exchange').send({ code });
    expect(first.status).toBe(200);
    const replay = await t.http().post('/v1/auth/exchange').send({ code });
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe('invalid_token');
    expect((await t.http().get('/v1/auth/me').set(bearer(first.body.accessToken))).status).toBe(
      401,
    );
  });

  it('concurrent redemptions of one code: exactly one succeeds', async () => {
    const code = await issue();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.http().post('/v1/auth/exchange').send({ code })),
    );
    expect(results.filter((res) => res.status === 200)).toHaveLength(1);
  });

  it('an expired, unknown or malformed code answers 400', async () => {
    const code = await issue();
    const [row] = await selectRows(t, 'one_time_codes', 'used_at IS NULL AND user_id = :id', {
      id: user.id,
    });
    await updateRow(t, 'one_time_codes', String(row.id), { expiresAt: new Date(Date.now() - 1) });
    for (const body of [{ code }, { code: 'never-issued' }, { code: '' }, { code: 42 }, {}]) {
      const res = await t.http().post('/v1/auth/exchange').send(body);
      expect(res.status).toBe(400);
      expect(['invalid_token', 'validation_failed']).toContain(res.body.code);
    }
  });
});
