import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RateLimitStorage } from '../../src/rate-limit/rate-limit.storage';
import { bearer, createTenant, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import type { TestDatabase } from '../support/database';
import { durableDatabase } from '../audit/helpers';
import { PrivateRedis } from '../support/redis';

/** How long a change may take to show (a bound on polling, not a timing assertion). */
const UNTIL = { timeout: 10_000, interval: 50 };

const LIMITS = {
  anonymous: { limit: 4, ttl: 600 },
  tiers: {
    free: { limit: 4, ttl: 600 },
    pro: { limit: 100, ttl: 600 },
    enterprise: { limit: 100, ttl: 600 },
  },
  routes: {
    login: { limit: 100, ttl: 600 },
    register: { limit: 100, ttl: 600 },
    passwordForgot: { limit: 100, ttl: 600 },
    passwordReset: { limit: 100, ttl: 600 },
    refresh: { limit: 100, ttl: 600 },
  },
};

let ipCounter = 0;
function newIp(): string {
  ipCounter += 1;
  return `198.51.100.${ipCounter}`;
}

type Res = { status: number; headers: Record<string, string>; body: Record<string, unknown> };
const remaining = (res: Res) => res.headers['ratelimit-remaining'];

/**
 * Redis-backed counters and locks, on a redis-server of this file's own (started in both the
 * SQLite and the PostgreSQL runs), so that it can be stopped without disturbing other files.
 */
describe('rate limits and lockout on Redis', () => {
  let redis: PrivateRedis;
  let inspect: Redis;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    inspect = redis.client();
  });
  afterAll(async () => {
    inspect.disconnect();
    await redis.stop();
  });

  const envFor = (prefix: string, extra: Record<string, string> = {}) => ({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMITS: JSON.stringify(LIMITS),
    TRUST_PROXY: 'true',
    LOCKOUT_THRESHOLD: '3',
    ...extra,
  });

  describe('two instances sharing one Redis (same REDIS_KEY_PREFIX)', () => {
    let database: TestDatabase;
    let a: TestApp;
    let b: TestApp;
    let tenant: string;

    beforeAll(async () => {
      const prefix = `gh-shared-${randomBytes(4).toString('hex')}:`;
      database = await durableDatabase();
      a = await createTestApp({ database, env: envFor(prefix) });
      b = await createTestApp({ database, env: envFor(prefix) });
      tenant = (await createTenant(a)).slug;
    });
    afterAll(async () => {
      await a.close();
      await b.close();
      await database.drop();
    });

    it('count in Redis', () => {
      expect(a.app.get(RateLimitStorage).mode).toBe('redis');
      expect(b.app.get(RateLimitStorage).mode).toBe('redis');
    });

    it('enforce one per-IP limit between them', async () => {
      const ip = newIp();
      const seen: string[] = [];
      for (const app of [a, b, a, b]) {
        const res = await app.http().get('/health/live').set('X-Forwarded-For', ip);
        expect(res.status).toBe(200);
        seen.push(remaining(res));
      }
      expect(seen).toEqual(['3', '2', '1', '0']);
      for (const app of [a, b]) {
        const res = await app.http().get('/health/live').set('X-Forwarded-For', ip);
        expect(res.status).toBe(429);
        expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      }
      const keys = await inspect.keys(`*rl:ip:${ip}*`);
      expect(keys.length).toBeGreaterThan(0);
    });

    it('enforce one per-user limit between them', async () => {
      const res = await a
        .http()
        .post('/v1/auth/register')
        .set('X-Forwarded-For', newIp())
        .send({ tenant, email: uniqueEmail(), password: STRONG_PASSWORD });
      expect(res.status).toBe(201);
      const token = res.body.accessToken as string;
      const statuses: number[] = [];
      for (const app of [a, b, b, a, b, a]) {
        statuses.push((await app.http().get('/v1/auth/me').set(bearer(token))).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    });

    it('cost one Redis round trip per request (a single EVAL), nothing else', async () => {
      const res = await a
        .http()
        .post('/v1/auth/register')
        .set('X-Forwarded-For', newIp())
        .send({ tenant, email: uniqueEmail(), password: STRONG_PASSWORD });
      const token = res.body.accessToken as string;
      // Warm the caches of the caller, then count what the server processes.
      expect((await a.http().get('/v1/auth/me').set(bearer(token))).status).toBe(200);
      // MONITOR shows every command a client sends (a script's own commands are marked "lua").
      const monitor = await inspect.monitor();
      const sent: string[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua') sent.push(String(args[0]).toLowerCase());
      });
      for (let i = 0; i < 3; i++) {
        expect((await a.http().get('/v1/auth/me').set(bearer(token))).status).toBe(200);
      }
      await inspect.echo('end-of-test');
      await vi.waitFor(() => expect(sent).toContain('echo'), UNTIL); // the monitor has seen all
      monitor.disconnect();
      expect(sent.filter((command) => command !== 'echo')).toEqual(['eval', 'eval', 'eval']);
    });

    it('share the login lockout: failures on one instance lock the login on the other', async () => {
      const email = uniqueEmail();
      const registered = await b
        .http()
        .post('/v1/auth/register')
        .set('X-Forwarded-For', newIp())
        .send({ tenant, email, password: STRONG_PASSWORD });
      expect(registered.status).toBe(201);
      const login = (app: TestApp, password: string) =>
        app.http().post('/v1/auth/login').send({ tenant, email, password });
      expect((await login(a, 'wrong password 1')).status).toBe(401);
      expect((await login(b, 'wrong password 2')).status).toBe(401);
      expect((await login(a, 'wrong password 3')).status).toBe(401);
      for (const app of [b, a]) {
        const res = await login(app, STRONG_PASSWORD);
        expect(res.status).toBe(429);
        expect(res.body.code).toBe('rate_limited');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      // No address is written to Redis: lockout keys are hashes.
      expect((await inspect.keys('*lockout*')).join(' ')).not.toContain(email);
    });
  });

  describe('lockout schedule (lock expiry simulated by removing the lock key)', () => {
    let t: TestApp;
    let tenant: string;
    let prefix: string;

    beforeAll(async () => {
      prefix = `gh-lock-${randomBytes(4).toString('hex')}:`;
      t = await createTestApp({ env: envFor(prefix) });
      tenant = (await createTenant(t)).slug;
    });
    afterAll(() => t.close());

    const fail = (email: string) =>
      t.http().post('/v1/auth/login').send({ tenant, email, password: 'not the password' });
    const retryAfterOfLock = async (email: string): Promise<number> => {
      for (let i = 0; i < 3; i++) expect((await fail(email)).status).toBe(401);
      const res = await fail(email);
      expect(res.status).toBe(429);
      return Number(res.headers['retry-after']);
    };
    const expireLocks = async () => {
      const keys = await inspect.keys(`${prefix}{lockout:*}:lock`);
      expect(keys.length).toBeGreaterThan(0);
      await inspect.del(...keys);
    };

    it('doubles with each further lock, up to an hour, whether or not the account exists', async () => {
      const email = uniqueEmail('nobody');
      const first = await retryAfterOfLock(email);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(60);
      await expireLocks();
      const second = await retryAfterOfLock(email);
      expect(second).toBeGreaterThan(60);
      expect(second).toBeLessThanOrEqual(120);
      await expireLocks();
      const third = await retryAfterOfLock(email);
      expect(third).toBeGreaterThan(120);
      expect(third).toBeLessThanOrEqual(240);
      await expireLocks();
      // Both counters of the email (this address's and the account's) have locked three times.
      const states = await inspect.keys(`${prefix}{lockout:*}:state`);
      expect(states).toHaveLength(2);
      for (const state of states) await inspect.hset(state, 'level', 20);
      const capped = await retryAfterOfLock(email);
      expect(capped).toBeGreaterThan(1800);
      expect(capped).toBeLessThanOrEqual(3600);
    });

    it('a success resets it: the next lock is a minute again', async () => {
      const email = uniqueEmail();
      const registered = await t
        .http()
        .post('/v1/auth/register')
        .set('X-Forwarded-For', newIp())
        .send({ tenant, email, password: STRONG_PASSWORD });
      expect(registered.status).toBe(201);
      await inspect.del(...(await inspect.keys(`${prefix}{lockout:*`)));
      await retryAfterOfLock(email);
      await expireLocks();
      const ok = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant, email, password: STRONG_PASSWORD });
      expect(ok.status).toBe(200);
      expect(await inspect.keys(`${prefix}{lockout:*`)).toEqual([]);
      expect(await retryAfterOfLock(email)).toBeLessThanOrEqual(60);
    });
  });

  describe('Redis stopped mid-test', () => {
    let t: TestApp;
    let prefix: string;

    beforeAll(async () => {
      prefix = `gh-outage-${randomBytes(4).toString('hex')}:`;
      t = await createTestApp({ env: envFor(prefix) });
    });
    afterAll(() => t.close());

    it('keeps serving and limiting from memory, reports degraded, and recovers by itself', async () => {
      const storage = t.app.get(RateLimitStorage);
      const before = newIp();
      for (const left of ['3', '2']) {
        const res = await t.http().get('/health/live').set('X-Forwarded-For', before);
        expect(remaining(res)).toBe(left);
      }
      expect(await inspect.keys(`{${prefix}rl:ip:${before}:*`)).not.toEqual([]);

      await redis.stop();
      await vi.waitFor(() => expect(storage.mode).toBe('memory'), UNTIL); // Redis is gone

      // Served, and still limited: the counter now lives in this process.
      const during = newIp();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await t.http().get('/health/live').set('X-Forwarded-For', during)).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      const ready = await t.http().get('/health/ready').set('X-Forwarded-For', newIp());
      expect(ready.status).toBe(200);
      expect(ready.body.details.redis.status).toBe('degraded');
      expect(ready.body.details.database.status).toBe('up');
      // A login works too (lockout falls back to memory as well).
      expect(
        (
          await t
            .http()
            .post('/v1/auth/login')
            .send({ tenant: 'root', email: 'nobody@example.com', password: 'x' })
        ).status,
      ).toBe(401);

      await redis.start();
      await vi.waitFor(() => expect(storage.mode).toBe('redis'), UNTIL); // reconnected
      await vi.waitFor(async () => {
        const res = await t.http().get('/health/ready').set('X-Forwarded-For', newIp());
        expect(res.body.details?.redis?.status).toBe('up');
      }, UNTIL);

      const after = newIp();
      const res = await t.http().get('/health/live').set('X-Forwarded-For', after);
      expect(res.status).toBe(200);
      expect(remaining(res)).toBe('3');
      expect(await inspect.keys(`{${prefix}rl:ip:${after}:*`)).not.toEqual([]);
    });
  });
});
