import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OneTimeCodeService } from '../../src/auth/exchange/one-time-code.service';
import { bearer, createTenant, register } from '../factories';
import { totp, enrolTotp } from '../account/support/helpers';
import { createTestApp, type TestApp } from '../support/app';

/**
 * The account's rules apply however the user got in: a social or SSO login is a first factor
 * like a password, so an MFA user still owes the second one, unless the code records that the
 * IdP showed MFA on a connection marked `idpEnforcesMfa` (SSO only); a tenant that requires
 * verified emails requires them of social accounts too.
 */
describe('account rules at the one-time-code exchange', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const codeFor = (
    user: { id: string; tenantId: string },
    method: 'social' | 'sso',
    options: { idpMfa?: boolean } = {},
  ) => t.app.get(OneTimeCodeService).issue(user, method, options);

  it('a social login of an MFA user answers 401 mfa_required; the mfaToken and a TOTP code finish it', async () => {
    const account = await register(t, (await createTenant(t)).slug);
    const { secret } = await enrolTotp(t, account.accessToken);

    const res = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: await codeFor(account.user, 'social') });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('mfa_required');
    expect(res.body.mfaToken).toEqual(expect.any(String));
    expect(res.body).not.toHaveProperty('accessToken');

    // The confirmation code's time step is spent; the next one is accepted.
    const verified = await t
      .http()
      .post('/v1/auth/mfa/verify')
      .send({ mfaToken: res.body.mfaToken, code: totp(secret, 1) });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    const me = await t.http().get('/v1/auth/me').set(bearer(verified.body.accessToken));
    expect(me.body.user.id).toBe(account.user.id);
  });

  async function mfaUser(): Promise<{ user: { id: string; tenantId: string }; secret: string }> {
    const account = await register(t, (await createTenant(t)).slug);
    const { secret } = await enrolTotp(t, account.accessToken);
    return { user: account.user, secret };
  }

  it('an SSO login of an MFA user answers 401 mfa_required like a password login (review F2)', async () => {
    const { user } = await mfaUser();
    const res = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: await codeFor(user, 'sso') });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('mfa_required');
    expect(res.body.mfaToken).toEqual(expect.any(String));
    expect(res.body).not.toHaveProperty('accessToken');
  });

  it('an SSO code that records the IdP’s MFA opens the session; a social code never skips the challenge', async () => {
    const { user } = await mfaUser();
    const sso = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: await codeFor(user, 'sso', { idpMfa: true }) });
    expect(sso.status, JSON.stringify(sso.body)).toBe(200);

    const social = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: await codeFor(user, 'social', { idpMfa: true }) });
    expect(social.status).toBe(401);
    expect(social.body.code).toBe('mfa_required');
  });

  it('a tenant requiring verified emails refuses a social account whose email is not verified', async () => {
    const tenant = await createTenant(t, { settings: { requireEmailVerification: true } });
    const account = await register(t, tenant.slug);
    const res = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: await codeFor(account.user, 'social') });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('email_not_verified');
    expect(res.body).not.toHaveProperty('accessToken');
  });
});
