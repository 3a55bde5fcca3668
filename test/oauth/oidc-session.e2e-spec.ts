import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStoreService } from '../../src/auth/keys/key-store.service';
import { LoginPolicies } from '../../src/auth/login/login-policies';
import { AppError } from '../../src/common/errors/app-error';
import { ErrorCode } from '../../src/common/errors/error-code';
import { bearer, createTenant, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import {
  authorizeInBrowser,
  browserFetch,
  CookieJar,
  type CreatedClient,
  createClient,
  decodeJwt,
  hiddenField,
  tenantAdmin,
} from './support';

const REDIRECT_URI = 'https://rp.example.com/cb';
const LOGGED_OUT_URI = 'https://rp.example.com/bye';
const MFA_CODE = '246810';

describe('OAuth sessions: login policies, consent, end session, keys, audit', () => {
  let t: TestApp;
  let base: string;
  let tenant: { id: string; slug: string };
  let client: CreatedClient;
  let machine: CreatedClient;
  let member: { id: string; email: string };
  let mfaUser: { id: string; email: string };
  let lockedEmail: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    base = t.baseUrl ?? '';
    tenant = await createTenant(t);
    const admin = await tenantAdmin(t, tenant);
    const email = uniqueEmail('member');
    member = { id: (await register(t, tenant.slug, email)).user.id, email };
    const mfaEmail = uniqueEmail('mfa');
    mfaUser = { id: (await register(t, tenant.slug, mfaEmail)).user.id, email: mfaEmail };
    lockedEmail = uniqueEmail('locked');
    await register(t, tenant.slug, lockedEmail);
    client = await createClient(t, admin.accessToken, {
      name: 'RP',
      type: 'confidential',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [LOGGED_OUT_URI],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'email', 'offline_access', 'users:read'],
    });
    machine = await createClient(t, admin.accessToken, {
      name: 'Machine',
      type: 'confidential',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['users:read'],
    });
    // Stand-ins for the MFA and lockout policies other modules contribute: the login page must
    // go through every policy exactly as POST /v1/auth/login does.
    t.app.get(LoginPolicies).register({
      name: 'test-policies',
      order: 1000,
      beforePasswordCheck: (attempt) => {
        if (attempt.input.email === lockedEmail) {
          throw new AppError(429, ErrorCode.RateLimited, {
            detail: 'Too many failed sign-ins. Try again in 60 seconds.',
            headers: { 'Retry-After': '60' },
          });
        }
        return Promise.resolve();
      },
      afterPasswordCheck: (login) => {
        if (login.user.id !== mfaUser.id) return Promise.resolve();
        if (login.input.mfaCode !== MFA_CODE) {
          throw new AppError(401, ErrorCode.MfaRequired, { detail: 'A second factor is needed.' });
        }
        return Promise.resolve('mfa' as const);
      },
    });
  });
  afterAll(() => t.close());

  /** An authorization request of the confidential client (PKCE is optional for it). */
  function authorizeUrl(params: Record<string, string> = {}): URL {
    const url = new URL(`${base}/oidc/auth`);
    for (const [name, value] of Object.entries({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid email users:read',
      state: 's1',
      ...params,
    })) {
      url.searchParams.set(name, value);
    }
    return url;
  }

  async function loginPage(jar: CookieJar): Promise<{ url: URL; html: string }> {
    const start = await browserFetch(jar, authorizeUrl());
    const url = new URL(start.headers.get('location') ?? '', base);
    const page = await browserFetch(jar, url);
    return { url, html: await page.text() };
  }

  it('MFA: the page asks for a code, refuses a wrong one, and signs in with the right one', async () => {
    const jar = new CookieJar();
    const { url, html } = await loginPage(jar);
    expect(html).not.toContain('name="mfaCode"');
    const action = new URL(`${url.pathname}/login`, base);
    const csrf = hiddenField(html, 'csrf');

    const asked = await browserFetch(jar, action, {
      form: { csrf, email: mfaUser.email, password: STRONG_PASSWORD },
    });
    expect(asked.status).toBe(200);
    const askedHtml = await asked.text();
    expect(askedHtml).toContain('name="mfaCode"');
    expect(askedHtml).toContain(`value="${mfaUser.email}"`);
    expect(askedHtml).not.toContain(STRONG_PASSWORD);

    const wrong = await browserFetch(jar, action, {
      form: { csrf, email: mfaUser.email, password: STRONG_PASSWORD, mfaCode: '000000' },
    });
    expect(await wrong.text()).toContain('That code is not valid');

    const right = await browserFetch(jar, action, {
      form: { csrf, email: mfaUser.email, password: STRONG_PASSWORD, mfaCode: MFA_CODE },
    });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toContain('/oidc/auth/');
  });

  it('a refusal from a login policy (lockout) shows its message with its status and headers', async () => {
    const jar = new CookieJar();
    const { url, html } = await loginPage(jar);
    const res = await browserFetch(jar, new URL(`${url.pathname}/login`, base), {
      form: { csrf: hiddenField(html, 'csrf'), email: lockedEmail, password: STRONG_PASSWORD },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(await res.text()).toContain('Too many failed sign-ins');
  });

  it('consent is asked once per user, client and scope set; denying sends access_denied back', async () => {
    const jar = new CookieJar();
    const denied = await authorizeInBrowser(
      authorizeUrl(),
      { email: member.email },
      {
        jar,
        consent: 'deny',
      },
    );
    expect(denied.location.searchParams.get('error')).toBe('access_denied');
    expect(denied.location.searchParams.get('code')).toBeNull();

    const first = await authorizeInBrowser(authorizeUrl(), { email: member.email });
    expect(first.pages.some((page) => page.includes('Allow'))).toBe(true);
    expect(first.location.searchParams.get('code')).toEqual(expect.any(String));

    // Another browser, same user and scopes: sign in again, but no consent page.
    const second = await authorizeInBrowser(authorizeUrl(), { email: member.email });
    expect(second.pages.some((page) => page.includes('Allow'))).toBe(false);
    expect(second.location.searchParams.get('code')).toEqual(expect.any(String));

    // Nor for a part of what was agreed.
    const wider = await authorizeInBrowser(authorizeUrl({ scope: 'openid email' }), {
      email: member.email,
    });
    expect(wider.pages.some((page) => page.includes('Allow'))).toBe(false);

    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'actor_id = :id', { id: member.id });
    const actions = events.map((event) => event.action);
    expect(actions.filter((action) => action === 'oauth.consent.granted')).toHaveLength(1);
    expect(actions).toContain('auth.login');
  });

  it('end session: a confirmation page, then back to the registered post-logout URI, signed out', async () => {
    const jar = new CookieJar();
    const { location } = await authorizeInBrowser(authorizeUrl(), { email: member.email }, { jar });
    const tokens = (await t
      .http()
      .post('/oidc/token')
      .auth(client.clientId, client.clientSecret ?? '')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code: location.searchParams.get('code'),
        redirect_uri: REDIRECT_URI,
      })) as unknown as { body: Record<string, string> };
    const ask = await browserFetch(
      jar,
      `${base}/oidc/session/end?${String(
        new URLSearchParams({
          id_token_hint: tokens.body.id_token ?? '',
          post_logout_redirect_uri: LOGGED_OUT_URI,
          state: 'bye',
        }),
      )}`,
    );
    expect(ask.status).toBe(200);
    expect(ask.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://rp.example.com",
    );
    const html = await ask.text();
    expect(html).not.toMatch(/<script|style=/i);
    const done = await browserFetch(jar, `${base}/oidc/session/end/confirm`, {
      form: { xsrf: hiddenField(html, 'xsrf'), logout: 'yes' },
    });
    expect(done.status).toBe(303);
    const back = new URL(done.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(LOGGED_OUT_URI);
    expect(back.searchParams.get('state')).toBe('bye');
    // The browser is signed out: the next request needs the login page again.
    const again = await browserFetch(jar, authorizeUrl());
    const page = await browserFetch(jar, new URL(again.headers.get('location') ?? '', base));
    expect(await page.text()).toContain('name="password"');

    // Signed out already: oidc-provider's self-submitting form, its one script allowed by hash.
    const signedOut = await browserFetch(jar, `${base}/oidc/session/end`);
    expect(signedOut.status).toBe(200);
    expect(signedOut.headers.get('content-security-policy')).toMatch(/script-src 'none' 'sha256-/);

    const unregistered = await browserFetch(
      jar,
      `${base}/oidc/session/end?${String(
        new URLSearchParams({
          id_token_hint: tokens.body.id_token ?? '',
          post_logout_redirect_uri: 'https://evil.test/',
        }),
      )}`,
    );
    expect(unregistered.status).toBe(400);
    expect(unregistered.headers.get('location')).toBeNull();
  });

  it('signing keys rotate: the provider signs with the new key, tokens of the old one still verify', async () => {
    const issue = async () =>
      (
        await t
          .http()
          .post('/oidc/token')
          .auth(machine.clientId, machine.clientSecret ?? '')
          .type('form')
          .send({ grant_type: 'client_credentials' })
      ).body as Record<string, string>;
    const before = await issue();
    const { id: newKid } = await t.app.get(KeyStoreService).rotate();
    const after = await issue();
    expect(decodeJwt(after.access_token ?? '').header.kid).toBe(newKid);
    expect(decodeJwt(before.access_token ?? '').header.kid).not.toBe(newKid);
    for (const token of [before.access_token ?? '', after.access_token ?? '']) {
      // Authenticated (the client has no role, so a user route answers 403, not 401).
      expect((await t.http().get('/v1/auth/me').set(bearer(token))).status).toBe(403);
    }
    const jwks = await t.http().get('/oidc/jwks');
    const kids = (jwks.body as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    expect(kids).toContain(newKid);
    expect(kids).toContain(decodeJwt(before.access_token ?? '').header.kid);
  });

  it('audits issued and revoked tokens without a token, code or secret in the events or logs', async () => {
    const { location } = await authorizeInBrowser(authorizeUrl(), { email: member.email });
    const code = location.searchParams.get('code') ?? '';
    const exchange = () =>
      t
        .http()
        .post('/oidc/token')
        .auth(client.clientId, client.clientSecret ?? '')
        .type('form')
        .send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    const tokens = (await exchange()).body as Record<string, string>;
    expect((await exchange()).body.error).toBe('invalid_grant');
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', "action LIKE 'oauth.token.%'", {});
    const actions = events.map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['oauth.token.issued', 'oauth.token.revoked']));
    const everything = JSON.stringify(events) + t.logs.join('\n');
    for (const secret of [
      code,
      tokens.access_token,
      tokens.refresh_token,
      tokens.id_token,
      client.clientSecret,
    ]) {
      expect(everything).not.toContain(secret ?? 'never');
    }
  });
});
