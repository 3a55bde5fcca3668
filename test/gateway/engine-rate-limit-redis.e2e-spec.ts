import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RateLimitStorage } from '../../src/rate-limit/rate-limit.storage';
import { createTenant } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import type { TestDatabase } from '../support/database';
import { PrivateRedis } from '../support/redis';
import { durableDatabase } from '../audit/helpers';
import { createClient, tenantAdmin } from '../oauth/support';

const UNTIL = { timeout: 10_000, interval: 50 };
const TOKEN_LIMIT = 4;

/**
 * The OAuth engine's limits with Redis (a redis-server of this file's own, in the SQLite and the
 * PostgreSQL runs): two instances sharing it enforce one limit, at one EVAL per request.
 */
describe('rate limits on the OAuth engine, two instances sharing one Redis', () => {
  let redis: PrivateRedis;
  let inspect: Redis;
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let clientId: string;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    inspect = redis.client();
    database = await durableDatabase();
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `gh-engine-${randomBytes(4).toString('hex')}:`,
      RATE_LIMITS: JSON.stringify({ routes: { oidcToken: { limit: TOKEN_LIMIT, ttl: 600 } } }),
      TRUST_PROXY: 'true',
    };
    a = await createTestApp({ database, env });
    b = await createTestApp({ database, env });
    const admin = await tenantAdmin(a, await createTenant(a));
    clientId = (
      await createClient(a, admin.accessToken, {
        name: 'Machine',
        type: 'confidential',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        scopes: ['users:read'],
      })
    ).clientId;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
    inspect?.disconnect();
    await redis?.stop();
  });

  const guess = (app: TestApp, ip: string) =>
    app
      .http()
      .post('/oidc/token')
      .set('X-Forwarded-For', ip)
      .auth(clientId, `guess-${randomBytes(4).toString('hex')}`)
      .type('form')
      .send({ grant_type: 'client_credentials' });

  it('count in Redis', () => {
    expect(a.app.get(RateLimitStorage).mode).toBe('redis');
    expect(b.app.get(RateLimitStorage).mode).toBe('redis');
  });

  it('hold one limit on bad client secrets across both instances; another IP is unaffected', async () => {
    const ip = '198.51.100.200';
    for (const app of [a, b, a, b]) expect((await guess(app, ip)).status).toBe(401);
    for (const app of [a, b]) {
      const res = await guess(app, ip);
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ error: 'rate_limited', error_description: expect.any(String) });
    }
    expect((await guess(b, '198.51.100.201')).status).toBe(401);
  });

  it('cost one EVAL per engine request', async () => {
    const ip = '198.51.100.202';
    expect((await guess(a, ip)).status).toBe(401); // warm the engine's caches
    const monitor = await inspect.monitor();
    const sent: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') sent.push(String(args[0]).toLowerCase());
    });
    for (let i = 0; i < 2; i++) expect((await guess(a, ip)).status).toBe(401);
    await inspect.echo('end-of-test');
    await vi.waitFor(() => expect(sent).toContain('echo'), UNTIL);
    monitor.disconnect();
    expect(sent.filter((command) => command === 'eval')).toEqual(['eval', 'eval']);
  });
});
