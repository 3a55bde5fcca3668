import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { auditEvents } from '../account/support/helpers';
import { SmtpSink, tokenOf } from '../account/support/smtp-sink';
import { bearer, createTenant, login, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import { TestOidcIdp } from './support/oidc-idp';
import { createIdpKeys, type IdpKeys, removeIdpKeys } from './support/saml-idp';
import {
  auditEvents as ssoAudit,
  codeOf,
  counts,
  metadataOf,
  SSO_ENV,
  APP_CALLBACK,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';
import {
  createOidcConnection,
  createSamlConnection,
  oidcClientOf,
  oidcLogin,
  type PeerConnection,
  samlLogin,
} from './support/sso-peers';
import { TestDns } from './support/test-dns';

/**
 * Review F6 through SSO: an attacker registers `victim@<the company's domain>` with a password
 * and never verifies it. When the victim first signs in through the company's IdP (SAML or
 * OIDC, both asserting the address), the squatted account must not be linked.
 */
describe('SSO linking: no pre-account takeover, and every new link is audited and mailed', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let dns: TestDns;
  let keys: IdpKeys;
  let idp: TestOidcIdp;
  let tenant: Tenant;
  let samlDomain: string;
  let oidcDomain: string;
  let saml: PeerConnection;
  let oidc: PeerConnection;
  let counter = 0;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env, SMTP_URL: sink.url } });
    keys = createIdpKeys();
    idp = await TestOidcIdp.start();
    tenant = await createTenant(t);
    const owner = await userWithRole(t, tenant, 'owner');
    samlDomain = uniqueDomain('link-saml');
    oidcDomain = uniqueDomain('link-oidc');
    // The company proved its domains: only then may an IdP's email link an account at all.
    saml = await createSamlConnection(
      t,
      owner.headers,
      keys,
      { name: 'Acme Okta', domains: [samlDomain] },
      dns,
    );
    oidc = await createOidcConnection(
      t,
      owner.headers,
      idp,
      'gatehouse-link',
      { name: 'Acme Entra', domains: [oidcDomain] },
      dns,
    );
    await idp.register([oidcClientOf(oidc, 'gatehouse-link')]);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await sink?.close();
    await dns?.close();
    removeIdpKeys();
  });

  function address(domain: string, who: string): string {
    counter += 1;
    return `${who}.${counter}.${Date.now()}@${domain}`;
  }

  /** The IdP account of the victim at the OIDC IdP: a verified email. */
  function oidcAccount(email: string): string {
    const id = `victim-${email}`;
    idp.accounts.set(id, { email, email_verified: true, name: 'Victor' });
    return id;
  }

  async function verifiedAccount(email: string) {
    const account = await register(t, tenant.slug, email);
    const mail = await sink.waitFor(email, (m) => m.subject.startsWith('Confirm your email'));
    const res = await t
      .http()
      .post('/v1/auth/email/verify')
      .send({ token: tokenOf(mail) });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    return account;
  }

  async function expectAccountExists(
    reply: { status: number; headers: Record<string, string> },
    squatter: { id: string },
  ) {
    expect(reply.status).toBe(302);
    const back = new URL(String(reply.headers.location));
    expect(`${back.origin}${back.pathname}`).toBe(APP_CALLBACK);
    expect(back.searchParams.get('error')).toBe('account_exists');
    expect(back.searchParams.has('code')).toBe(false);
    expect(await selectRows(t, 'user_identities', 'user_id = :id', { id: squatter.id })).toEqual(
      [],
    );
    const failure = (await ssoAudit(t, 'auth.sso.login'))
      .filter((event) => event.outcome === 'failure')
      .at(-1);
    expect(failure && metadataOf(failure).reason).toBe('account_not_verified');
  }

  it('SAML: the victim’s first login answers ?error=account_exists; nothing is linked or issued', async () => {
    const email = address(samlDomain, 'victim');
    const squatter = (await register(t, tenant.slug, email)).user;
    const before = await counts(t);
    await expectAccountExists(await samlLogin(t, saml, keys, email), squatter);
    expect(await counts(t)).toEqual(before);

    // The squatter's password opens the squatter's account, which has no way in but it.
    const pair = await login(t, tenant.slug, email);
    const identities = await t.http().get('/v1/auth/identities').set(bearer(pair.accessToken));
    expect(identities.body.items).toEqual([]);
  });

  it('OIDC: the same, through an OIDC connection whose IdP says email_verified', async () => {
    const email = address(oidcDomain, 'victim');
    const squatter = (await register(t, tenant.slug, email)).user;
    const before = await counts(t);
    await expectAccountExists(await oidcLogin(t, idp, oidc, oidcAccount(email)), squatter);
    expect(await counts(t)).toEqual(before);
  });

  it('other refusals keep their 401 sso_failed (an email outside the connection’s domains)', async () => {
    const reply = await samlLogin(t, saml, keys, address('elsewhere.example', 'x'));
    expect(reply.status).toBe(401);
    expect(reply.body.code).toBe('sso_failed');
  });

  it('SAML: a verified account links; auth.identity.linked is recorded and the holder is mailed', async () => {
    const email = address(samlDomain, 'holder');
    const holder = (await verifiedAccount(email)).user;
    const reply = await samlLogin(t, saml, keys, email);
    expect(reply.status).toBe(302);
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(reply.headers.location) });
    expect(exchange.status).toBe(200);

    const [identity] = await selectRows(t, 'user_identities', 'user_id = :id', { id: holder.id });
    expect(identity).toMatchObject({ provider: `sso:${saml.id}`, subject: email });
    const linked = await auditEvents(t, 'auth.identity.linked', holder.id);
    expect(linked).toHaveLength(1);
    expect(linked[0].metadata).toEqual({
      provider: `sso:${saml.id}`,
      identityId: identity.id,
      method: 'sso',
    });

    const mail = await sink.waitFor(email, (m) => m.subject.includes('new sign-in method'));
    expect(mail.text).toContain('single sign-on through "Acme Okta"');
    expect(mail.text).toContain('If it was not you');
    expect(mail.text).not.toMatch(/https?:\/\//);
  });

  it('OIDC: a verified account links, audited with method sso, and mailed', async () => {
    const email = address(oidcDomain, 'holder');
    const holder = (await verifiedAccount(email)).user;
    const reply = await oidcLogin(t, idp, oidc, oidcAccount(email));
    expect(reply.status, JSON.stringify(reply.body)).toBe(302);
    expect(codeOf(reply.headers.location)).toMatch(/^[\w-]{43}$/);
    const linked = await auditEvents(t, 'auth.identity.linked', holder.id);
    expect(linked.map((event) => event.metadata)).toEqual([
      { provider: `sso:${oidc.id}`, identityId: expect.any(String), method: 'sso' },
    ]);
    const mail = await sink.waitFor(email, (m) => m.subject.includes('new sign-in method'));
    expect(mail.text).toContain('"Acme Entra"');
  });
});
