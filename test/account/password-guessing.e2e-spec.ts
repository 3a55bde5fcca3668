import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, STRONG_PASSWORD } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { enrolTotp, totp } from './support/helpers';

const THRESHOLD = 4;

/**
 * Review F9: whoever holds a stolen access token must not get an unthrottled password oracle
 * out of password change or MFA disable. A wrong current password is a failed login of that
 * (tenant, email): after LOCKOUT_THRESHOLD of them, the check answers 429 like the login does.
 */
describe('guessing the current password with a valid access token', () => {
  let t: TestApp;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOCKOUT_THRESHOLD: String(THRESHOLD) } });
    tenant = (await createTenant(t)).slug;
  });
  afterAll(() => t.close());

  const change = (accessToken: string, currentPassword: string) =>
    t
      .http()
      .post('/v1/auth/password/change')
      .set(bearer(accessToken))
      .send({ currentPassword, newPassword: 'a brand new long passphrase' });

  const login = (email: string, password = STRONG_PASSWORD) =>
    t.http().post('/v1/auth/login').send({ tenant, email, password });

  function expectLocked(res: { status: number; headers: Record<string, string>; body: unknown }) {
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  }

  it('password change: locked after LOCKOUT_THRESHOLD wrong current passwords, the right one too, and so is login', async () => {
    const account = await register(t, tenant);
    for (let i = 0; i < THRESHOLD; i++) {
      const res = await change(account.accessToken, `guess number ${i}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_current_password');
    }
    expectLocked(await change(account.accessToken, 'guess number 99'));
    expectLocked(await change(account.accessToken, STRONG_PASSWORD));
    expectLocked(await login(account.user.email));
  });

  it('MFA disable: locked after LOCKOUT_THRESHOLD wrong passwords, before any code is checked', async () => {
    const account = await register(t, tenant);
    const { secret } = await enrolTotp(t, account.accessToken);
    const disable = (password: string) =>
      t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(account.accessToken))
        .send({ password, code: totp(secret, 1) });
    for (let i = 0; i < THRESHOLD; i++) {
      const res = await disable(`guess number ${i}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_current_password');
    }
    expectLocked(await disable(STRONG_PASSWORD));
    expectLocked(await login(account.user.email));
  });

  it('a right current password does not reset the count: it is not a login', async () => {
    const account = await register(t, tenant);
    for (let i = 0; i < THRESHOLD - 1; i++) {
      expect((await login(account.user.email, `guess number ${i}`)).status).toBe(401);
    }
    const changed = await change(account.accessToken, STRONG_PASSWORD);
    expect(changed.status).toBe(204);
    expect((await login(account.user.email, 'one more guess')).status).toBe(401);
    expectLocked(await login(account.user.email, 'a brand new long passphrase'));
  });
});
