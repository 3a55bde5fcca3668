import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { bearer, createTenant } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import {
  buildAssertion,
  buildResponse,
  createIdpKeys,
  type IdpKeys,
  removeIdpKeys,
  signAssertion,
} from './support/saml-idp';
import { createConnection } from './support/connections';
import {
  APP_CALLBACK,
  auditEvents,
  codeOf,
  counts,
  metadataOf,
  postAcs,
  samlBindingCookie,
  SSO_ENV,
  startSamlLogin,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';
import { TestDns } from './support/test-dns';

const IDP = 'https://idp.csrf.example/saml';

interface Connection {
  id: string;
  spEntityId: string;
  acsUrl: string;
}

/**
 * F12, login CSRF / session swapping: an insider with an account at the tenant's IdP starts a
 * SAML login in their own browser, has the IdP sign a response for it, and makes the victim's
 * browser post that response to the ACS. The ACS must refuse a response that arrives without
 * the binding cookie of the browser that started the login.
 */
describe('SAML login is bound to the browser that started it (F12)', () => {
  let t: TestApp;
  let dns: TestDns;
  let keys: IdpKeys;
  let tenant: Tenant;
  let connection: Connection;
  let domain: string;

  beforeAll(async () => {
    // Over https, as in production: the cookie is then Secure and __Host- prefixed.
    dns = await TestDns.start();
    t = await createTestApp({
      env: { ...SSO_ENV, ...dns.env, PUBLIC_URL: 'https://gatehouse.test' },
    });
    keys = createIdpKeys();
    tenant = await createTenant(t);
    const owner = await userWithRole(t, tenant, 'owner');
    domain = uniqueDomain('csrf');
    // A verified domain: JIT provisions only there, so the accepted login below can succeed.
    connection = await createConnection(
      t,
      owner,
      {
        type: 'saml',
        name: 'Csrf IdP',
        domains: [domain],
        jitProvisioning: true,
        saml: {
          idpEntityId: IDP,
          ssoUrl: 'https://idp.csrf.example/sso',
          certificate: keys.certificate,
        },
      },
      dns,
    );
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  /** What the IdP signs for `requestId` once `nameId` has signed in there. */
  function idpResponse(requestId: string, nameId: string): string {
    return signAssertion(
      buildResponse({
        idpEntityId: IDP,
        destination: connection.acsUrl,
        inResponseTo: requestId,
        body: buildAssertion({
          idpEntityId: IDP,
          audience: connection.spEntityId,
          recipient: connection.acsUrl,
          inResponseTo: requestId,
          nameId,
        }),
      }),
      { keys },
    );
  }

  it('the login start sets an HttpOnly, Secure, SameSite=None binding cookie', async () => {
    const res = await t
      .http()
      .get(`/v1/sso/saml/${connection.id}/login`)
      .query({ redirect_uri: APP_CALLBACK });
    expect(res.status).toBe(302);
    const line = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find((entry) => entry.startsWith('__Host-gatehouse-saml='));
    expect(line).toBeDefined();
    expect(line).toMatch(/; HttpOnly/i);
    expect(line).toMatch(/; Secure/i);
    expect(line).toMatch(/; SameSite=None/i);
    expect(line).toMatch(/; Path=\//i);
    expect(line).not.toMatch(/domain=/i);
  });

  it("the attacker's own signed response, posted from the victim's browser, is refused (400 invalid_token) and issues no code", async () => {
    const mallory = `mallory@${domain}`;
    // The attacker's browser starts the login and keeps its cookie.
    const requestId = await startSamlLogin(t, connection.id);
    const response = idpResponse(requestId, mallory);
    // The victim's browser has a binding cookie of its own (it started a login earlier).
    const victim = await t
      .http()
      .get(`/v1/sso/saml/${connection.id}/login`)
      .query({ redirect_uri: APP_CALLBACK });
    const victimCookie = samlBindingCookie(victim.headers['set-cookie']);

    const before = await counts(t);
    for (const cookie of [null, victimCookie, '__Host-gatehouse-saml=not-a-binding']) {
      const res = await postAcs(t, connection.id, response, { cookie });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('invalid_token');
      expect(res.headers.location).toBeUndefined();
    }
    expect(await counts(t)).toEqual(before);
    const failures = (await auditEvents(t, 'auth.sso.login')).filter(
      (event) => event.outcome === 'failure',
    );
    expect(failures.length).toBeGreaterThanOrEqual(3);
    for (const failure of failures.slice(-3)) {
      expect(failure.tenant_id).toBe(tenant.id);
      expect(metadataOf(failure).reason).toBe('browser_binding');
    }

    // The refused posts consumed nothing: from the browser that started it, the login works.
    const accepted = await postAcs(t, connection.id, response);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(302);
    expect(String(accepted.headers.location).startsWith(`${APP_CALLBACK}?code=`)).toBe(true);
    const clearing = ([] as string[])
      .concat(accepted.headers['set-cookie'] ?? [])
      .find((entry) => entry.startsWith('__Host-gatehouse-saml='));
    expect(clearing).toMatch(/expires=Thu, 01 Jan 1970/i);

    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(accepted.headers.location) });
    expect(exchange.status).toBe(200);
    const me = await t.http().get('/v1/auth/me').set(bearer(exchange.body.accessToken));
    expect(me.body.user.email).toBe(mallory);
  });
});
