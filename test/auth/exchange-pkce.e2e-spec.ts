import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { createTenant, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import { Browser } from '../social/support/browser';
import { APP, PUBLIC_URL, startUrl } from '../social/support/flows';
import { TestOidcProvider } from '../social/support/test-oidc-provider';
import { createConnection } from '../sso/support/connections';
import { TestOidcIdp } from '../sso/support/oidc-idp';
import {
  buildAssertion,
  buildResponse,
  createIdpKeys,
  type IdpKeys,
  removeIdpKeys,
  signAssertion,
} from '../sso/support/saml-idp';
import {
  APP_CALLBACK,
  codeOf,
  postAcs,
  startSamlLogin,
  uniqueDomain,
  userWithRole,
} from '../sso/support/sso-fixtures';
import { TestDns } from '../sso/support/test-dns';

const SAML_IDP = 'https://idp.pkce.example/saml';
const SECRET = 'pkce-test-client-secret-0123456789';

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * F13: the one-time code of a social or SSO login travels in a URL to the app. An app that
 * gave a `code_challenge` (S256) at the login's start makes that code useless to whoever
 * intercepts it (a leaked URL, a log, another app on the allowlist): `/v1/auth/exchange` wants
 * the `code_verifier`. Logins started without a challenge exchange as before.
 */
describe('PKCE on /v1/auth/exchange (F13)', () => {
  let t: TestApp;
  let dns: TestDns;
  let keys: IdpKeys;
  let tenant: Tenant;
  let domain: string;
  let oidcDomain: string;
  let saml: { id: string; spEntityId: string; acsUrl: string };
  let oidc: { id: string; callbackUrl: string };
  let oidcIdp: TestOidcIdp;
  let google: TestOidcProvider;

  beforeAll(async () => {
    keys = createIdpKeys();
    dns = await TestDns.start();
    oidcIdp = await TestOidcIdp.start();
    google = await TestOidcProvider.start([
      {
        clientId: 'gatehouse-google',
        clientSecret: SECRET,
        redirectUris: [`${PUBLIC_URL}/v1/auth/social/google/callback`],
      },
    ]);
    t = await createTestApp({
      env: {
        PUBLIC_URL,
        APP_REDIRECT_ALLOWLIST: `${APP_CALLBACK},${APP}`,
        GOOGLE_CLIENT_ID: 'gatehouse-google',
        GOOGLE_CLIENT_SECRET: SECRET,
        GOOGLE_ISSUER: google.issuer,
        ...dns.env,
      },
    });
    tenant = await createTenant(t);
    const owner = await userWithRole(t, tenant, 'owner');
    domain = uniqueDomain('pkce');
    oidcDomain = uniqueDomain('pkce-oidc');
    // Domains proven through the test DNS: only verified domains serve JIT provisioning.
    const create = (body: Record<string, unknown>) =>
      createConnection(
        t,
        owner,
        { name: 'Pkce IdP', domains: [domain], jitProvisioning: true, ...body },
        dns,
      );
    saml = await create({
      type: 'saml',
      saml: {
        idpEntityId: SAML_IDP,
        ssoUrl: 'https://idp.pkce.example/sso',
        certificate: keys.certificate,
      },
    });
    oidc = await create({
      type: 'oidc',
      domains: [oidcDomain],
      oidc: { issuer: oidcIdp.issuer, clientId: 'gatehouse-pkce', clientSecret: SECRET },
    });
    await oidcIdp.register([
      {
        client_id: 'gatehouse-pkce',
        client_secret: SECRET,
        redirect_uris: [oidc.callbackUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await oidcIdp?.close();
    await google?.close();
    await dns?.close();
    removeIdpKeys();
  });

  /** A SAML login of a JIT user, started with `query`; answers the app's one-time code. */
  async function samlCode(query: Record<string, string> = {}): Promise<string> {
    const requestId = await startSamlLogin(t, saml.id, APP_CALLBACK, query);
    const xml = signAssertion(
      buildResponse({
        idpEntityId: SAML_IDP,
        destination: saml.acsUrl,
        inResponseTo: requestId,
        body: buildAssertion({
          idpEntityId: SAML_IDP,
          audience: saml.spEntityId,
          recipient: saml.acsUrl,
          inResponseTo: requestId,
          nameId: `pkce-user@${domain}`,
        }),
      }),
      { keys },
    );
    const res = await postAcs(t, saml.id, xml);
    expect(res.status, JSON.stringify(res.body)).toBe(302);
    return codeOf(res.headers.location);
  }

  async function oidcCode(query: Record<string, string>): Promise<string> {
    const account = `oidc-${randomBytes(4).toString('hex')}`;
    oidcIdp.accounts.set(account, { email: `${account}@${oidcDomain}`, email_verified: true });
    const start = await t
      .http()
      .get(`/v1/sso/oidc/${oidc.id}/login`)
      .query({ redirect_uri: APP_CALLBACK, ...query });
    expect(start.status, JSON.stringify(start.body)).toBe(302);
    const cookie = ([] as string[])
      .concat(start.headers['set-cookie'] ?? [])
      .find((line) => line.startsWith('gh_sso_oidc='));
    const back = new URL(await oidcIdp.signIn(String(start.headers.location), account));
    const res = await t
      .http()
      .get(`${back.pathname}${back.search}`)
      .set('Cookie', String(cookie).split(';')[0]);
    expect(res.status, JSON.stringify(res.body)).toBe(302);
    return codeOf(res.headers.location);
  }

  async function socialCode(challenge: string): Promise<string> {
    const account = `google-${randomBytes(4).toString('hex')}`;
    google.addAccount(account, { email: uniqueEmail('g'), emailVerified: true, name: 'G' });
    const browser = new Browser(t, PUBLIC_URL);
    const { last } = await browser.follow(
      `${startUrl('google', tenant.slug)}&code_challenge=${challenge}&code_challenge_method=S256`,
      APP,
    );
    expect(last.status, JSON.stringify(last.body)).toBe(302);
    return codeOf(last.location ?? undefined);
  }

  function exchange(code: string, verifier?: string) {
    return t
      .http()
      .post('/v1/auth/exchange')
      .send(verifier === undefined ? { code } : { code, code_verifier: verifier });
  }

  async function expectInvalid(response: ReturnType<typeof exchange>): Promise<void> {
    const res = await response;
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('invalid_token');
    expect(res.body.accessToken).toBeUndefined();
  }

  it('SAML: an intercepted code is useless without the verifier, and that attempt spends it', async () => {
    const { verifier, challenge } = pkcePair();
    const stolen = await samlCode({ code_challenge: challenge, code_challenge_method: 'S256' });
    await expectInvalid(exchange(stolen));
    // One try only: the code is dead, for the interceptor and the app alike.
    await expectInvalid(exchange(stolen, verifier));

    await t.flushAudit();
    const refusals = await selectRows(
      t,
      'audit_events',
      'action = :action AND outcome = :outcome',
      {
        action: 'auth.sso.login',
        outcome: 'failure',
      },
    );
    const reasons = refusals.map((row) =>
      JSON.stringify(typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata),
    );
    expect(reasons.some((r) => r.includes('"pkce":"missing_verifier"'))).toBe(true);

    const guessed = await samlCode({ code_challenge: challenge });
    await expectInvalid(exchange(guessed, pkcePair().verifier));
    await expectInvalid(exchange(guessed, verifier));
  });

  it('SAML: the app with the verifier gets its session', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await samlCode({ code_challenge: challenge, code_challenge_method: 'S256' });
    const res = await exchange(code, verifier);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(typeof res.body.accessToken).toBe('string');
  });

  it('a login without a challenge still exchanges without a verifier; a verifier for it is refused', async () => {
    const plain = await exchange(await samlCode());
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    // An app that sends a verifier started with a challenge: a code without one is not its own.
    await expectInvalid(exchange(await samlCode(), pkcePair().verifier));
  });

  it('OIDC SSO and social logins carry the challenge to their code too', async () => {
    const sso = pkcePair();
    await expectInvalid(exchange(await oidcCode({ code_challenge: sso.challenge })));
    const ssoOk = await exchange(await oidcCode({ code_challenge: sso.challenge }), sso.verifier);
    expect(ssoOk.status, JSON.stringify(ssoOk.body)).toBe(200);

    const social = pkcePair();
    await expectInvalid(exchange(await socialCode(social.challenge)));
    const socialOk = await exchange(await socialCode(social.challenge), social.verifier);
    expect(socialOk.status, JSON.stringify(socialOk.body)).toBe(200);
  });

  it('a malformed challenge or another method is refused at the start, before any redirect', async () => {
    const { challenge } = pkcePair();
    const starts = [
      `/v1/sso/saml/${saml.id}/login?redirect_uri=${encodeURIComponent(APP_CALLBACK)}`,
      `/v1/sso/oidc/${oidc.id}/login?redirect_uri=${encodeURIComponent(APP_CALLBACK)}`,
      startUrl('google', tenant.slug),
    ];
    for (const start of starts) {
      for (const [query, field] of [
        [`code_challenge=${challenge}&code_challenge_method=plain`, 'code_challenge_method'],
        ['code_challenge=short', 'code_challenge'],
        [`code_challenge=${challenge.slice(0, 42)}!`, 'code_challenge'],
        ['code_challenge_method=S256', 'code_challenge'],
      ]) {
        const res = await t.http().get(`${start}&${query}`);
        expect(res.status, `${start}&${query}`).toBe(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors?.[0]?.field).toBe(field);
        expect(res.headers.location).toBeUndefined();
      }
    }
  });
});
