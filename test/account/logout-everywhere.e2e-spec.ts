import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidationBus } from '../../src/common/cache/invalidation-bus';
import { bearer, createTenant, login, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testRedis, type TestRedis } from '../support/redis';

/** One database two instances can open: PostgreSQL when configured, else a SQLite file. */
async function sharedDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL?.trim()) return createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-shared-'));
  return {
    env: { DATABASE_PATH: join(dir, 'gatehouse.sqlite') },
    drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

/**
 * Resolves when the instance's bus has delivered an invalidation of each of these sessions;
 * fails after the 10 s within which the contract wants revocations to reach every instance.
 */
function sessionInvalidated(t: TestApp, sessionIds: readonly string[]): Promise<void> {
  const pending = new Set(sessionIds);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`No invalidation of ${[...pending].join(', ')} within 10 s`)),
      10_000,
    );
    t.app.get(InvalidationBus).on('session', (id) => {
      pending.delete(id);
      if (pending.size === 0) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function sessionIdOf(accessToken: string): string {
  const payload = JSON.parse(
    Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
  ) as { sid: string };
  return payload.sid;
}

describe('logout everywhere across instances', () => {
  let redis: TestRedis;
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    redis = await testRedis();
    database = await sharedDatabase();
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `gh-test-${randomBytes(6).toString('hex')}:`,
    };
    // One after the other: the first runs the migrations and the bootstrap.
    a = await createTestApp({ database, env });
    b = await createTestApp({ database, env });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
    await redis?.stop();
  });

  it('POST /v1/auth/logout-all on one instance makes the other refuse the access tokens', async () => {
    const tenant = await createTenant(a);
    const account = await register(a, tenant.slug);
    const second = await login(a, tenant.slug, account.user.email);
    // Instance B has verified both tokens and cached their sessions as live.
    for (const pair of [account, second]) {
      await b.http().get('/v1/auth/me').set(bearer(pair.accessToken)).expect(200);
    }
    const delivered = sessionInvalidated(
      b,
      [account, second].map((p) => sessionIdOf(p.accessToken)),
    );

    await a.http().post('/v1/auth/logout-all').set(bearer(account.accessToken)).expect(204);

    // Redis carries the revocation to B, which drops its cached sessions at once: the tokens
    // are refused there well within the 10 s the contract allows (B's cache alone would
    // keep them for up to 5 s).
    await delivered;
    for (const pair of [account, second]) {
      const res = await b.http().get('/v1/auth/me').set(bearer(pair.accessToken));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      const refresh = await b
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: pair.refreshToken });
      expect(refresh.status).toBe(401);
    }
  });

  it('ending one session through DELETE /v1/auth/sessions/:id reaches the other instance too', async () => {
    const tenant = await createTenant(a);
    const account = await register(a, tenant.slug);
    const phone = await login(a, tenant.slug, account.user.email);
    await b.http().get('/v1/auth/me').set(bearer(phone.accessToken)).expect(200);
    const delivered = sessionInvalidated(b, [sessionIdOf(phone.accessToken)]);

    await a
      .http()
      .delete(`/v1/auth/sessions/${sessionIdOf(phone.accessToken)}`)
      .set(bearer(account.accessToken))
      .expect(204);
    await delivered;
    expect((await b.http().get('/v1/auth/me').set(bearer(phone.accessToken))).status).toBe(401);
    await b.http().get('/v1/auth/me').set(bearer(account.accessToken)).expect(200);
  });
});
