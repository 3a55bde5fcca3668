import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { bearer, createTenant, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';

/** Small limits and windows far longer than the test, so counts decide, never the clock. */
const LIMITS = {
  anonymous: { limit: 3, ttl: 600 },
  tiers: {
    free: { limit: 4, ttl: 600 },
    pro: { limit: 6, ttl: 600 },
    enterprise: { limit: 8, ttl: 600 },
  },
  routes: {
    login: { limit: 2, ttl: 600 },
    register: { limit: 40, ttl: 600 },
    passwordForgot: { limit: 2, ttl: 600 },
    passwordReset: { limit: 2, ttl: 600 },
    refresh: { limit: 2, ttl: 600 },
  },
};

let ipCounter = 0;
/** A client address of its own per test (TRUST_PROXY=true), so counters never mix. */
function newIp(): string {
  ipCounter += 1;
  return `203.0.113.${ipCounter}`;
}

type Res = { status: number; headers: Record<string, string>; body: Record<string, unknown> };

function expectLimitHeaders(res: Res, limit: number, remaining: number): void {
  expect(res.headers['ratelimit-limit']).toBe(String(limit));
  expect(res.headers['ratelimit-remaining']).toBe(String(remaining));
  expect(res.headers['ratelimit-reset']).toMatch(/^[1-9]\d*$/);
  expect(Number(res.headers['ratelimit-reset'])).toBeLessThanOrEqual(600);
}

function expectTooMany(res: Res, limit: number): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status: 429, code: 'rate_limited' });
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(600);
  expectLimitHeaders(res, limit, 0);
}

describe('rate limits', () => {
  let t: TestApp;
  let tenant: string;
  let proTenant: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMITS: JSON.stringify(LIMITS), TRUST_PROXY: 'true' } });
    tenant = (await createTenant(t)).slug;
    proTenant = (await createTenant(t, { plan: 'pro' })).slug;
  });
  afterAll(() => t.close());

  const registerFrom = async (slug: string) => {
    const res = await t
      .http()
      .post('/v1/auth/register')
      .set('X-Forwarded-For', newIp())
      .send({ tenant: slug, email: uniqueEmail(), password: STRONG_PASSWORD });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as {
      accessToken: string;
      refreshToken: string;
      user: { id: string; tenantId: string };
    };
  };

  it('anonymous routes: per client IP, headers on every answer, then 429 with Retry-After', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++) {
      const res = await t.http().get('/health/live').set('X-Forwarded-For', ip);
      expect(res.status).toBe(200);
      expectLimitHeaders(res, 3, 2 - i);
    }
    // Every public route of that IP draws from the same counter.
    const refused = await t.http().get('/.well-known/jwks.json').set('X-Forwarded-For', ip);
    expectTooMany(refused, 3);
    expect(refused.headers['x-request-id']).toBeDefined();
    // Another client is not affected.
    const other = await t.http().get('/health/live').set('X-Forwarded-For', newIp());
    expect(other.status).toBe(200);
    expectLimitHeaders(other, 3, 2);
  });

  it('login has its own stricter limit per IP, whatever the email, apart from the general one', async () => {
    const ip = newIp();
    for (let i = 0; i < 2; i++) {
      const res = await t
        .http()
        .post('/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ tenant, email: uniqueEmail(), password: 'wrong password here' });
      expect(res.status).toBe(401);
      expectLimitHeaders(res, 2, 1 - i);
    }
    const refused = await t
      .http()
      .post('/v1/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ tenant, email: uniqueEmail(), password: 'wrong password here' });
    expectTooMany(refused, 2);
    // The general anonymous counter of that IP is untouched.
    const live = await t.http().get('/health/live').set('X-Forwarded-For', ip);
    expect(live.status).toBe(200);
    expectLimitHeaders(live, 3, 2);
  });

  it('refresh and register are limited per IP by their own rules', async () => {
    const ip = newIp();
    for (let i = 0; i < 2; i++) {
      const res = await t
        .http()
        .post('/v1/auth/refresh')
        .set('X-Forwarded-For', ip)
        .send({ refreshToken: 'not-a-real-token' });
      expect(res.status).toBe(401);
      expectLimitHeaders(res, 2, 1 - i);
    }
    expectTooMany(
      await t
        .http()
        .post('/v1/auth/refresh')
        .set('X-Forwarded-For', ip)
        .send({ refreshToken: 'not-a-real-token' }),
      2,
    );
    const registered = await t
      .http()
      .post('/v1/auth/register')
      .set('X-Forwarded-For', ip)
      .send({ tenant, email: uniqueEmail(), password: STRONG_PASSWORD });
    expect(registered.status).toBe(201);
    expectLimitHeaders(registered, 40, 39);
  });

  it('authenticated routes: per user, by the plan of its tenant, from the same IP', async () => {
    const ip = newIp();
    const free = await registerFrom(tenant);
    const pro = await registerFrom(proTenant);
    for (let i = 0; i < 4; i++) {
      const res = await t
        .http()
        .get('/v1/auth/me')
        .set('X-Forwarded-For', ip)
        .set(bearer(free.accessToken));
      expect(res.status).toBe(200);
      expectLimitHeaders(res, 4, 3 - i);
    }
    expectTooMany(
      await t.http().get('/v1/auth/me').set('X-Forwarded-For', ip).set(bearer(free.accessToken)),
      4,
    );
    // Another user on the same IP has a counter of its own, with the limit of its plan.
    for (let i = 0; i < 6; i++) {
      const res = await t
        .http()
        .get('/v1/auth/me')
        .set('X-Forwarded-For', ip)
        .set(bearer(pro.accessToken));
      expect(res.status).toBe(200);
      expectLimitHeaders(res, 6, 5 - i);
    }
    expectTooMany(
      await t.http().get('/v1/auth/me').set('X-Forwarded-For', ip).set(bearer(pro.accessToken)),
      6,
    );
    // The limit follows the user, not the address.
    expectTooMany(
      await t
        .http()
        .get('/v1/auth/me')
        .set('X-Forwarded-For', newIp())
        .set(bearer(free.accessToken)),
      4,
    );
  });

  it('requests refused by a permission check count against the caller too', async () => {
    const member = await registerFrom(tenant);
    for (let i = 0; i < 4; i++) {
      const res = await t.http().get('/v1/audit-events').set(bearer(member.accessToken));
      expect(res.status).toBe(403);
      expectLimitHeaders(res, 4, 3 - i);
    }
    expectTooMany(await t.http().get('/v1/audit-events').set(bearer(member.accessToken)), 4);
  });

  it('refused credentials count per IP; past the limit, credentials from that IP are not checked', async () => {
    const ip = newIp();
    const user = await registerFrom(tenant);
    const attempts = [
      { Authorization: 'Bearer aaa.bbb.ccc' },
      { 'X-API-Key': 'gat_guess_000000000000' },
      { Authorization: 'Basic dXNlcjpwYXNz' },
    ];
    for (const [i, headers] of attempts.entries()) {
      const res = await t.http().get('/v1/auth/me').set('X-Forwarded-For', ip).set(headers);
      expect(res.status).toBe(401);
      expectLimitHeaders(res, 3, 2 - i);
    }
    expectTooMany(
      await t.http().get('/v1/auth/me').set('X-Forwarded-For', ip).set(bearer('x.y.z')),
      3,
    );
    // Even a valid token is not looked at from that address until the window ends…
    expectTooMany(
      await t.http().get('/v1/auth/me').set('X-Forwarded-For', ip).set(bearer(user.accessToken)),
      3,
    );
    // …while it works from anywhere else, and public routes of that IP are a separate counter.
    const elsewhere = await t
      .http()
      .get('/v1/auth/me')
      .set('X-Forwarded-For', newIp())
      .set(bearer(user.accessToken));
    expect(elsewhere.status).toBe(200);
    expect((await t.http().get('/health/live').set('X-Forwarded-For', ip)).status).toBe(200);
  });

  it('records rate_limit.exceeded once per counter and window, not once per refused request', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++) await t.http().get('/health/live').set('X-Forwarded-For', ip);
    for (let i = 0; i < 5; i++) {
      expect((await t.http().get('/health/live').set('X-Forwarded-For', ip)).status).toBe(429);
    }
    const user = await registerFrom(tenant);
    for (let i = 0; i < 8; i++) await t.http().get('/v1/auth/me').set(bearer(user.accessToken));
    await t.flushAudit();

    const anonymous = (
      await selectRows(t, 'audit_events', 'action = :action AND ip = :ip', {
        action: 'rate_limit.exceeded',
        ip,
      })
    ).filter((row) => row.target_type === 'ip');
    expect(anonymous).toHaveLength(1);
    expect(anonymous[0]).toMatchObject({ tenant_id: null, outcome: 'failure', target_id: ip });
    expect(JSON.parse(String(anonymous[0]?.metadata))).toMatchObject({
      bucket: 'anonymous',
      limit: 3,
      window: 600,
      route: 'GET /health/live',
    });

    const perUser = await selectRows(t, 'audit_events', 'action = :action AND target_id = :id', {
      action: 'rate_limit.exceeded',
      id: user.user.id,
    });
    expect(perUser).toHaveLength(1);
    expect(perUser[0]).toMatchObject({
      tenant_id: user.user.tenantId,
      actor_type: 'user',
      actor_id: user.user.id,
      target_type: 'user',
    });
    expect(t.app.get(AuditService).pending).toBe(0);
  });
});

describe('rate limits: client address', () => {
  it('without TRUST_PROXY, X-Forwarded-For is ignored: one client cannot pose as many', async () => {
    const t = await createTestApp({ env: { RATE_LIMITS: JSON.stringify(LIMITS) } });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await t.http().get('/health/live').set('X-Forwarded-For', newIp());
        expect(res.status).toBe(200);
      }
      expectTooMany(await t.http().get('/health/live').set('X-Forwarded-For', newIp()), 3);
    } finally {
      await t.close();
    }
  });

  it('RATE_LIMITS=off: nothing is limited and no RateLimit headers are sent', async () => {
    const t = await createTestApp({ env: { RATE_LIMITS: 'off' } });
    try {
      for (let i = 0; i < 10; i++) {
        const res = await t.http().get('/health/live');
        expect(res.status).toBe(200);
        expect(res.headers['ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await t.close();
    }
  });
});
