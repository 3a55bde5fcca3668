import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { forgetTotpSteps, totp, enrolTotp } from '../account/support/helpers';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { updateRow } from '../support/sql';
import { createIdpKeys, type IdpKeys, REFEDS_MFA, removeIdpKeys } from './support/saml-idp';
import { codeOf, SSO_ENV, uniqueDomain, userWithRole } from './support/sso-fixtures';
import { createSamlConnection, type PeerConnection, samlLogin } from './support/sso-peers';
import { TestDns } from './support/test-dns';

/**
 * Where SSO trust meets MFA: whether the IdP's MFA stands in for the account's own is a trust
 * setting (owner-level), and a login that met the second factor after an SSO answer is still a
 * login through the connection, so a change of the connection's trust ends it too.
 */
describe('SSO trust and the second factor', () => {
  let t: TestApp;
  let dns: TestDns;
  let keys: IdpKeys;
  let otherKeys: IdpKeys;
  let tenant: Tenant;
  let owner: Awaited<ReturnType<typeof userWithRole>>;
  let admin: Awaited<ReturnType<typeof userWithRole>>;
  let saml: PeerConnection;
  let user: { id: string; email: string; secret: string };

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys();
    otherKeys = createIdpKeys();
    tenant = await createTenant(t);
    owner = await userWithRole(t, tenant, 'owner');
    admin = await userWithRole(t, tenant, 'admin');
    const domain = uniqueDomain('trust-mfa');
    saml = await createSamlConnection(t, owner.headers, keys, { domains: [domain] }, dns);
    const account = await register(t, tenant.slug, `totp.${Date.now()}@${domain}`);
    await updateRow(t, 'users', account.user.id, { emailVerified: true });
    const { secret } = await enrolTotp(t, account.accessToken);
    user = { id: account.user.id, email: account.user.email, secret };
  });
  afterAll(async () => {
    await t?.close();
    await dns?.close();
    removeIdpKeys();
  });

  const patch = (by: { headers: Record<string, string> }, body: object) =>
    t.http().patch(`/v1/sso/connections/${saml.id}`).set(by.headers).send(body);
  const me = (token: string) => t.http().get('/v1/auth/me').set(bearer(token));

  /** A SAML login of the MFA user, up to the exchange's `mfa_required`: answers the mfaToken. */
  async function challengedLogin(): Promise<string> {
    const reply = await samlLogin(t, saml, keys, user.email);
    expect(reply.status).toBe(302);
    const exchanged = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(reply.headers.location) });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(401);
    expect(exchanged.body.code).toBe('mfa_required');
    return exchanged.body.mfaToken as string;
  }

  async function verifyMfa(mfaToken: string) {
    await forgetTotpSteps(t, user.id);
    return t
      .http()
      .post('/v1/auth/mfa/verify')
      .send({ mfaToken, code: totp(user.secret) });
  }

  /** Puts the connection's trust anchor back after a test rotated it. */
  async function trustOriginalKeys(): Promise<void> {
    const res = await patch(owner, { saml: { certificate: keys.certificate } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  it('an admin cannot let the IdP stand in for the account’s MFA (403); the owner can', async () => {
    const byAdmin = await patch(admin, { idpEnforcesMfa: true });
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.code).toBe('forbidden');

    const byOwner = await patch(owner, { idpEnforcesMfa: true });
    expect(byOwner.status, JSON.stringify(byOwner.body)).toBe(200);
    expect(byOwner.body.idpEnforcesMfa).toBe(true);
    const reply = await samlLogin(t, saml, keys, user.email, REFEDS_MFA);
    const signedIn = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(reply.headers.location) });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);

    // Turning it back off is a trust change too: what it vouched for ends.
    expect((await patch(owner, { idpEnforcesMfa: false })).status).toBe(200);
    await vi.waitFor(
      async () => expect((await me(signedIn.body.accessToken as string)).status).toBe(401),
      { timeout: 10_000, interval: 250 },
    );
  });

  it('the session that the MFA step opens after an SSO login ends with a trust change', async () => {
    const verified = await verifyMfa(await challengedLogin());
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    const token = verified.body.accessToken as string;
    expect((await me(token)).body.user.id).toBe(user.id);

    const rotated = await patch(owner, { saml: { certificate: otherKeys.certificate } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body).toMatchObject({ id: saml.id });
    try {
      await vi.waitFor(async () => expect((await me(token)).status).toBe(401), {
        timeout: 10_000,
        interval: 250,
      });
      const refresh = await t
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: verified.body.refreshToken });
      expect(refresh.status).toBe(401);
    } finally {
      await trustOriginalKeys();
    }
  });

  it('an MFA challenge pending on an SSO login is void once the connection’s trust changes', async () => {
    const mfaToken = await challengedLogin();
    const rotated = await patch(owner, { saml: { certificate: otherKeys.certificate } });
    expect(rotated.status).toBe(200);
    try {
      const verified = await verifyMfa(mfaToken);
      expect(verified.status).toBe(401);
      expect(verified.body.code).toBe('invalid_token');
      expect(verified.body).not.toHaveProperty('accessToken');
    } finally {
      await trustOriginalKeys();
    }
  });
});
