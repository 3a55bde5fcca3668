import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';

type Res = { status: number; headers: Record<string, string>; body: Record<string, unknown> };

/** The answer without what differs per request. */
function comparable(res: Res): unknown {
  const { requestId: _requestId, ...body } = res.body;
  return { status: res.status, type: res.headers['content-type'], body };
}

/**
 * Brute-force lockout per (tenant, email), SPEC §13, with LOCKOUT_THRESHOLD=4. It is on even
 * with RATE_LIMITS=off (the harness default), which only turns off the request rate limits.
 */
describe('login lockout', () => {
  let t: TestApp;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOCKOUT_THRESHOLD: '4' } });
    tenant = (await createTenant(t)).slug;
  });
  afterAll(() => t.close());

  const login = (email: string, password: string, slug = tenant) =>
    t.http().post('/v1/auth/login').send({ tenant: slug, email, password });

  async function failTimes(email: string, times: number, slug = tenant): Promise<Res[]> {
    const answers: Res[] = [];
    for (let i = 0; i < times; i++) answers.push(await login(email, `wrong password ${i}`, slug));
    return answers;
  }

  it('after LOCKOUT_THRESHOLD consecutive failures, logins answer 429 rate_limited with Retry-After, even with the right password', async () => {
    const { user } = await register(t, tenant);
    const failures = await failTimes(user.email, 4);
    expect(failures.map((res) => res.status)).toEqual([401, 401, 401, 401]);
    for (const password of [STRONG_PASSWORD, 'wrong again']) {
      const res = await login(user.email, password);
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(JSON.stringify(res.body)).not.toContain('accessToken');
    }
    // The email's case and spaces make no difference: it is the same account.
    expect((await login(`  ${user.email.toUpperCase()} `, STRONG_PASSWORD)).status).toBe(429);
  });

  it('answers the same whether or not the account or the tenant exists', async () => {
    const { user } = await register(t, tenant);
    const stranger = uniqueEmail('stranger');
    const ghostTenant = `ghost-${Date.now().toString(36)}`;
    const before = [
      await failTimes(user.email, 4),
      await failTimes(stranger, 4),
      await failTimes(stranger, 4, ghostTenant),
    ];
    for (const answers of before) {
      expect(answers.map(comparable)).toEqual(before[0].map(comparable));
    }
    const locked = [
      await login(user.email, STRONG_PASSWORD),
      await login(stranger, STRONG_PASSWORD),
      await login(stranger, STRONG_PASSWORD, ghostTenant),
    ];
    for (const res of locked) {
      expect(comparable(res)).toEqual(comparable(locked[0]));
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('counts consecutive failures only: a success resets the count', async () => {
    const { user } = await register(t, tenant);
    await failTimes(user.email, 3);
    expect((await login(user.email, STRONG_PASSWORD)).status).toBe(200);
    expect((await failTimes(user.email, 3)).map((res) => res.status)).toEqual([401, 401, 401]);
    expect((await login(user.email, STRONG_PASSWORD)).status).toBe(200);
  });

  it('locks one (tenant, email) only: the same email elsewhere, and other emails, still sign in', async () => {
    const other = await createTenant(t);
    const email = uniqueEmail();
    await register(t, tenant, email);
    await register(t, other.slug, email);
    const neighbour = await register(t, tenant);
    await failTimes(email, 4);
    expect((await login(email, STRONG_PASSWORD)).status).toBe(429);
    expect((await login(email, STRONG_PASSWORD, other.slug)).status).toBe(200);
    expect((await login(neighbour.user.email, STRONG_PASSWORD)).status).toBe(200);
  });
});
