import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { forgetTotpSteps, totp, enrolTotp } from '../account/support/helpers';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { updateRow } from '../support/sql';
import { TestOidcIdp } from './support/oidc-idp';
import {
  createIdpKeys,
  type IdpKeys,
  PASSWORD_PROTECTED_TRANSPORT,
  REFEDS_MFA,
  removeIdpKeys,
} from './support/saml-idp';
import { codeOf, SSO_ENV, uniqueDomain, userWithRole } from './support/sso-fixtures';
import {
  createOidcConnection,
  createSamlConnection,
  oidcClientOf,
  oidcLogin,
  type PeerConnection,
  samlLogin,
} from './support/sso-peers';
import { TestDns } from './support/test-dns';

const MICROSOFT_MFA = 'http://schemas.microsoft.com/claims/multipleauthn';

interface MfaUser {
  id: string;
  email: string;
  secret: string;
}

/**
 * Review F2, MFA half: whoever controls an IdP (or may configure a connection) signs in as a
 * user with TOTP on only by also passing that user's TOTP, unless an owner marked the
 * connection `idpEnforcesMfa` and the IdP's *signed* answer shows a second factor.
 */
describe('SSO logins meet the account’s MFA (SAML and OIDC)', () => {
  let t: TestApp;
  let dns: TestDns;
  let keys: IdpKeys;
  let idp: TestOidcIdp;
  let tenant: Tenant;
  let owner: Awaited<ReturnType<typeof userWithRole>>;
  let saml: PeerConnection;
  let oidc: PeerConnection;
  let samlUser: MfaUser;
  let oidcUser: MfaUser;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys();
    idp = await TestOidcIdp.start();
    tenant = await createTenant(t);
    owner = await userWithRole(t, tenant, 'owner');
    const samlDomain = uniqueDomain('mfa-saml');
    const oidcDomain = uniqueDomain('mfa-oidc');
    saml = await createSamlConnection(t, owner.headers, keys, { domains: [samlDomain] }, dns);
    oidc = await createOidcConnection(
      t,
      owner.headers,
      idp,
      'gatehouse-mfa',
      { domains: [oidcDomain] },
      dns,
    );
    await idp.register([oidcClientOf(oidc, 'gatehouse-mfa')]);
    samlUser = await mfaUser(`totp.${Date.now()}@${samlDomain}`);
    oidcUser = await mfaUser(`totp.${Date.now()}@${oidcDomain}`);
    idp.accounts.set('oidc-user', { email: oidcUser.email, email_verified: true });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await dns?.close();
    removeIdpKeys();
  });

  /** A verified account with TOTP enrolled through the API, as in test/account/mfa. */
  async function mfaUser(email: string): Promise<MfaUser> {
    const account = await register(t, tenant.slug, email);
    await updateRow(t, 'users', account.user.id, { emailVerified: true });
    const { secret } = await enrolTotp(t, account.accessToken);
    await forgetTotpSteps(t, account.user.id);
    return { id: account.user.id, email, secret };
  }

  async function setIdpEnforcesMfa(connection: PeerConnection, value: boolean): Promise<void> {
    const res = await t
      .http()
      .patch(`/v1/sso/connections/${connection.id}`)
      .set(owner.headers)
      .send({ idpEnforcesMfa: value });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.idpEnforcesMfa).toBe(value);
  }

  async function exchange(reply: { status: number; headers: Record<string, string> }) {
    expect(reply.status).toBe(302);
    return t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(reply.headers.location) });
  }

  function expectChallenge(res: { status: number; body: Record<string, unknown> }): string {
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.body.code).toBe('mfa_required');
    expect(res.body).not.toHaveProperty('accessToken');
    expect(res.body.mfaToken).toEqual(expect.any(String));
    return res.body.mfaToken as string;
  }

  async function expectSignedIn(
    res: { status: number; body: Record<string, unknown> },
    user: MfaUser,
  ) {
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const me = await t
      .http()
      .get('/v1/auth/me')
      .set(bearer(String(res.body.accessToken)));
    expect(me.body.user.id).toBe(user.id);
  }

  it('idpEnforcesMfa is off by default and answered on the connection', () => {
    expect(saml.idpEnforcesMfa).toBe(false);
    expect(oidc.idpEnforcesMfa).toBe(false);
  });

  it('SAML: a password-only assertion answers mfa_required; the mfaToken and a real TOTP finish it', async () => {
    const res = await exchange(await samlLogin(t, saml, keys, samlUser.email));
    const mfaToken = expectChallenge(res);
    const verified = await t
      .http()
      .post('/v1/auth/mfa/verify')
      .send({ mfaToken, code: totp(samlUser.secret) });
    await expectSignedIn(verified, samlUser);
  });

  it('SAML: an MFA AuthnContext is not enough while idpEnforcesMfa is off', async () => {
    expectChallenge(await exchange(await samlLogin(t, saml, keys, samlUser.email, REFEDS_MFA)));
  });

  it('SAML: idpEnforcesMfa on and a signed MFA AuthnContext (REFEDS, Microsoft) sign in with no challenge', async () => {
    await setIdpEnforcesMfa(saml, true);
    try {
      for (const context of [REFEDS_MFA, MICROSOFT_MFA]) {
        const res = await exchange(await samlLogin(t, saml, keys, samlUser.email, context));
        await expectSignedIn(res, samlUser);
      }
    } finally {
      await setIdpEnforcesMfa(saml, false);
    }
  });

  it('SAML: idpEnforcesMfa on but a password-only AuthnContext still answers mfa_required', async () => {
    await setIdpEnforcesMfa(saml, true);
    try {
      const reply = await samlLogin(t, saml, keys, samlUser.email, PASSWORD_PROTECTED_TRANSPORT);
      expectChallenge(await exchange(reply));
    } finally {
      await setIdpEnforcesMfa(saml, false);
    }
  });

  it('SAML: an AuthnContext raised to MFA after signing is refused (401 sso_failed), never trusted', async () => {
    await setIdpEnforcesMfa(saml, true);
    try {
      const reply = await samlLogin(
        t,
        saml,
        keys,
        samlUser.email,
        PASSWORD_PROTECTED_TRANSPORT,
        (xml) => xml.replace(PASSWORD_PROTECTED_TRANSPORT, REFEDS_MFA),
      );
      expect(reply.status).toBe(401);
      expect(reply.body.code).toBe('sso_failed');
    } finally {
      await setIdpEnforcesMfa(saml, false);
    }
  });

  it('OIDC: an ID token without amr answers mfa_required; the mfaToken and a real TOTP finish it', async () => {
    idp.authentication.set('oidc-user', {});
    const mfaToken = expectChallenge(await exchange(await oidcLogin(t, idp, oidc, 'oidc-user')));
    const verified = await t
      .http()
      .post('/v1/auth/mfa/verify')
      .send({ mfaToken, code: totp(oidcUser.secret) });
    await expectSignedIn(verified, oidcUser);
  });

  it('OIDC: amr ["pwd","mfa"] is not enough while idpEnforcesMfa is off', async () => {
    idp.authentication.set('oidc-user', { amr: ['pwd', 'mfa'] });
    expectChallenge(await exchange(await oidcLogin(t, idp, oidc, 'oidc-user')));
  });

  it('OIDC: idpEnforcesMfa on and amr ["pwd","mfa"] (or the REFEDS MFA acr) in the ID token sign in with no challenge; amr ["pwd"] does not', async () => {
    await setIdpEnforcesMfa(oidc, true);
    try {
      idp.authentication.set('oidc-user', { amr: ['pwd', 'mfa'] });
      await expectSignedIn(await exchange(await oidcLogin(t, idp, oidc, 'oidc-user')), oidcUser);

      idp.authentication.set('oidc-user', { acr: REFEDS_MFA });
      await expectSignedIn(await exchange(await oidcLogin(t, idp, oidc, 'oidc-user')), oidcUser);

      idp.authentication.set('oidc-user', { amr: ['pwd'] });
      expectChallenge(await exchange(await oidcLogin(t, idp, oidc, 'oidc-user')));
    } finally {
      await setIdpEnforcesMfa(oidc, false);
    }
  });
});
