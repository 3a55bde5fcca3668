import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';

const ORIGIN = 'https://app.example.com';

/** SPEC §7 headers beyond what gateway.e2e-spec.ts covers: token answers, CORS on limits, HSTS. */
describe('gateway headers', () => {
  let t: TestApp;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        CORS_ORIGINS: ORIGIN,
        RATE_LIMITS: JSON.stringify({ anonymous: { limit: 2, ttl: 600 } }),
        TRUST_PROXY: 'true',
      },
    });
    tenant = (await createTenant(t)).slug;
  });
  afterAll(() => t.close());

  it('every answer that carries a token says Cache-Control: no-store', async () => {
    const email = uniqueEmail();
    const registered = await t
      .http()
      .post('/v1/auth/register')
      .send({ tenant, email, password: STRONG_PASSWORD });
    expect(registered.status).toBe(201);
    const login = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant, email, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
    const refreshed = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    const me = await t.http().get('/v1/auth/me').set(bearer(refreshed.body.accessToken));
    expect(me.status).toBe(200);
    for (const res of [registered, login, refreshed, me]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('an allowed origin can read the rate-limit headers, on a 429 too', async () => {
    const ip = '192.0.2.10';
    const first = await t
      .http()
      .get('/health/live')
      .set('Origin', ORIGIN)
      .set('X-Forwarded-For', ip);
    expect(first.headers['access-control-allow-origin']).toBe(ORIGIN);
    const exposed = first.headers['access-control-expose-headers']
      .split(',')
      .map((h: string) => h.trim());
    expect(exposed).toEqual(
      expect.arrayContaining([
        'Retry-After',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
      ]),
    );
    await t.http().get('/health/live').set('X-Forwarded-For', ip);
    const limited = await t
      .http()
      .get('/health/live')
      .set('Origin', ORIGIN)
      .set('X-Forwarded-For', ip);
    expect(limited.status).toBe(429);
    expect(limited.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(limited.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    // A refused origin gets nothing, 429 or not.
    const evil = await t
      .http()
      .get('/health/live')
      .set('Origin', 'https://evil.example.com')
      .set('X-Forwarded-For', ip);
    expect(evil.status).toBe(429);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a CORS preflight is answered before any limit: it does not count', async () => {
    const ip = '192.0.2.11';
    for (let i = 0; i < 5; i++) {
      const preflight = await t
        .http()
        .options('/v1/auth/login')
        .set('Origin', ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('X-Forwarded-For', ip);
      expect(preflight.status).toBe(204);
    }
    const res = await t.http().get('/health/live').set('X-Forwarded-For', ip);
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit-remaining']).toBe('1');
  });

  it('HSTS is sent when the public URL is https (TLS ended by a proxy in front)', async () => {
    const behindProxy = await createTestApp({ env: { PUBLIC_URL: 'https://id.example.com' } });
    try {
      const res = await behindProxy.http().get('/health/live');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await behindProxy.close();
    }
  });
});
