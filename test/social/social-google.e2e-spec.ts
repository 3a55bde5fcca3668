import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { selectRows, updateRow } from '../support/sql';
import { Browser } from './support/browser';
import {
  APP,
  exchange,
  PUBLIC_URL,
  socialAudit,
  socialLogin,
  startUrl,
  untilCallback,
} from './support/flows';
import { TestOidcProvider } from './support/test-oidc-provider';

const SECRET = 'google-client-secret-0123456789';

/**
 * Google is played by a real node-oidc-provider on a loopback port (GOOGLE_ISSUER moves the
 * issuer there); a second instance, registered as the OIDC_PROVIDERS entry `corp`, publishes
 * keys that do not match its signatures.
 */
describe('social login with Google (a real local OpenID provider)', () => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let forger: TestOidcProvider;
  let tenant: string;
  let tenantId: string;
  let counter = 0;

  const browser = () => new Browser(t, PUBLIC_URL);
  /** A Google account that signs in at the next login. */
  const googleAccount = (email: string | undefined, emailVerified: boolean, name = 'Ada') => {
    counter += 1;
    const id = `google-${counter}-${Date.now()}`;
    idp.addAccount(id, { email, emailVerified, name });
    return id;
  };

  const sharedEnv = () => ({
    PUBLIC_URL,
    APP_REDIRECT_ALLOWLIST: `${APP},https://other.example.com/done`,
    GOOGLE_CLIENT_ID: 'gatehouse-google',
    GOOGLE_CLIENT_SECRET: SECRET,
    GOOGLE_ISSUER: idp.issuer,
    OIDC_PROVIDERS: JSON.stringify([
      { name: 'corp', issuer: forger.issuer, clientId: 'gatehouse-corp', clientSecret: SECRET },
    ]),
  });

  beforeAll(async () => {
    idp = await TestOidcProvider.start([
      {
        clientId: 'gatehouse-google',
        clientSecret: SECRET,
        redirectUris: [`${PUBLIC_URL}/v1/auth/social/google/callback`],
      },
    ]);
    forger = await TestOidcProvider.start([
      {
        clientId: 'gatehouse-corp',
        clientSecret: SECRET,
        redirectUris: [`${PUBLIC_URL}/v1/auth/social/corp/callback`],
      },
    ]);
    forger.forgeSignatures();
    t = await createTestApp({ env: sharedEnv() });
    const created = await createTenant(t);
    tenant = created.slug;
    tenantId = created.id;
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await forger?.close();
  });

  describe('the 302 chain', () => {
    it('start → provider → callback → redirect_uri?code= → exchange → me, for a new verified user', async () => {
      const email = uniqueEmail('ada');
      googleAccount(email, true, 'Ada Lovelace');
      const b = browser();

      const start = await b.get(startUrl('google', tenant));
      expect(start.status).toBe(302);
      const authorization = new URL(start.location ?? '');
      expect(`${authorization.origin}${authorization.pathname}`).toBe(`${idp.issuer}/auth`);
      expect(Object.fromEntries(authorization.searchParams)).toMatchObject({
        client_id: 'gatehouse-google',
        response_type: 'code',
        redirect_uri: `${PUBLIC_URL}/v1/auth/social/google/callback`,
        code_challenge_method: 'S256',
        scope: 'openid email profile',
      });
      for (const name of ['state', 'nonce', 'code_challenge']) {
        expect(authorization.searchParams.get(name)).toMatch(/^[\w-]{43}$/);
      }

      const { visited } = await b.follow(authorization.href, APP);
      const back = new URL(visited.at(-1) ?? '');
      expect([...back.searchParams.keys()]).toEqual(['code']);
      const { me } = await exchange(t, back.searchParams.get('code'));
      expect(me.user).toMatchObject({
        email,
        name: 'Ada Lovelace',
        emailVerified: true,
        tenantId,
        roles: [expect.objectContaining({ name: 'member' })],
      });
      const [user] = await selectRows(t, 'users', 'id = :id', { id: me.user.id });
      expect(user?.password_hash).toBeNull();
    });

    it('the binding cookie is httpOnly, SameSite=Lax, and the PKCE verifier and nonce stay server-side', async () => {
      googleAccount(uniqueEmail(), true);
      const start = await t.http().get(startUrl('google', tenant));
      expect(start.status).toBe(302);
      const cookies = (start.headers['set-cookie'] as unknown as string[]).join('\n');
      expect(cookies).toMatch(/gatehouse-federation=[\w-]{43}; Max-Age=600; Path=\//);
      expect(cookies).toMatch(/HttpOnly/);
      expect(cookies).toMatch(/SameSite=Lax/);
      const authorization = new URL(start.headers.location);
      const state = authorization.searchParams.get('state') ?? '';
      const rows = await selectRows(t, 'federation_states', '1 = 1', {});
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(state);
      expect(stored).not.toContain(authorization.searchParams.get('nonce') ?? '');
      expect(stored).not.toContain(APP);
    });

    it('a returning user signs into the same account through the linked identity', async () => {
      const email = uniqueEmail('returning');
      googleAccount(email, true);
      const first = await exchange(t, (await socialLogin(browser(), 'google', tenant)).code);
      const again = await exchange(t, (await socialLogin(browser(), 'google', tenant)).code);
      expect(again.me.user.id).toBe(first.me.user.id);
      const identities = await t
        .http()
        .get('/v1/auth/identities')
        .set(bearer(again.pair.accessToken));
      expect(identities.body.items).toEqual([
        {
          id: expect.any(String),
          provider: 'google',
          email,
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
        },
      ]);
    });

    it('the app keeps its own query parameters on the redirect URI', async () => {
      googleAccount(uniqueEmail(), true);
      const result = await socialLogin(browser(), 'google', tenant, `${APP}?next=%2Fsettings`);
      expect(result.back.searchParams.get('next')).toBe('/settings');
      expect(result.code).toMatch(/^[\w-]{43}$/);
    });

    it('records auth.social.login successes and failures, with no secret in the log', async () => {
      googleAccount(uniqueEmail(), true);
      const ok = await socialLogin(browser(), 'google', tenant);
      const successes = await socialAudit(t, 'success');
      expect(successes.at(-1)).toMatchObject({
        tenantId,
        metadata: { provider: 'google', outcome: expect.stringMatching(/created|identity|linked/) },
      });
      const logs = t.logs.join('\n');
      expect(logs).not.toContain(ok.code ?? '<none>');
      expect(logs).not.toContain(SECRET);
      expect(logs).not.toContain(
        new URL(ok.callbackUrl ?? '').searchParams.get('code') ?? '<none>',
      );
    });
  });

  describe('linking rules (SPEC §13)', () => {
    it('a verified provider email links to the existing local account', async () => {
      const email = uniqueEmail('local');
      const local = await register(t, tenant, email);
      await updateRow(t, 'users', local.user.id, { emailVerified: true });
      googleAccount(email.toUpperCase(), true);
      const { me } = await exchange(t, (await socialLogin(browser(), 'google', tenant)).code);
      expect(me.user.id).toBe(local.user.id);
      const rows = await selectRows(t, 'user_identities', 'user_id = :id', { id: local.user.id });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ provider: 'google', email });
      expect((await socialAudit(t, 'success')).at(-1)?.metadata.outcome).toBe('linked');
    });

    it('an unverified provider email never links: 409 account_exists, delivered to the redirect URI', async () => {
      const email = uniqueEmail('victim');
      const victim = await register(t, tenant, email);
      googleAccount(email, false);
      const result = await socialLogin(browser(), 'google', tenant);
      expect(result.code).toBeNull();
      expect(result.error).toBe('account_exists');
      expect(
        await selectRows(t, 'user_identities', 'user_id = :id', { id: victim.user.id }),
      ).toEqual([]);
      expect((await socialAudit(t, 'failure')).at(-1)).toMatchObject({
        tenantId,
        metadata: { provider: 'google', reason: 'email_not_verified', error: 'account_exists' },
      });
    });

    it('a provider that does not say email_verified counts as unverified', async () => {
      const email = uniqueEmail('silent');
      await register(t, tenant, email);
      counter += 1;
      idp.addAccount(`google-silent-${counter}`, { email });
      expect((await socialLogin(browser(), 'google', tenant)).error).toBe('account_exists');
    });

    it('a new unverified email creates a user with emailVerified: false', async () => {
      const email = uniqueEmail('fresh');
      googleAccount(email, false);
      const { me } = await exchange(t, (await socialLogin(browser(), 'google', tenant)).code);
      expect(me.user).toMatchObject({ email, emailVerified: false });
    });

    it('no email at all: ?error=email_required', async () => {
      googleAccount(undefined, false);
      expect((await socialLogin(browser(), 'google', tenant)).error).toBe('email_required');
    });

    it('a tenant closed to sign-up (and the root tenant) creates nobody: ?error=signup_disabled', async () => {
      const closed = await createTenant(t, { settings: { allowSignup: false } });
      googleAccount(uniqueEmail('closed'), true);
      expect((await socialLogin(browser(), 'google', closed.slug)).error).toBe('signup_disabled');
      googleAccount(uniqueEmail('root'), true);
      expect((await socialLogin(browser(), 'google', 'root')).error).toBe('signup_disabled');
    });

    it('a disabled user gets ?error=account_disabled and no code', async () => {
      const email = uniqueEmail('disabled');
      googleAccount(email, true);
      const { me } = await exchange(t, (await socialLogin(browser(), 'google', tenant)).code);
      await updateRow(t, 'users', String(me.user.id), { status: 'disabled' });
      const again = await socialLogin(browser(), 'google', tenant);
      expect(again.code).toBeNull();
      expect(again.error).toBe('account_disabled');
    });

    it('a tenant suspended while the user is at the provider gets ?error=account_disabled', async () => {
      const other = await createTenant(t);
      googleAccount(uniqueEmail('suspended'), true);
      const b = browser();
      const callback = await untilCallback(b, 'google', other.slug);
      await updateRow(t, 'tenants', other.id, { status: 'suspended' });
      const res = await b.get(callback);
      expect(res.status).toBe(302);
      const back = new URL(res.location ?? '');
      expect(back.searchParams.get('error')).toBe('account_disabled');
      expect(back.searchParams.has('code')).toBe(false);
    });
  });

  describe('attacks and refusals', () => {
    it('a tampered or missing state answers 400 and redirects nowhere', async () => {
      googleAccount(uniqueEmail(), true);
      const b = browser();
      const callback = new URL(await untilCallback(b, 'google', tenant));
      const state = callback.searchParams.get('state') ?? '';
      const tampered = new URL(callback);
      // The first character: the last of a base64url value may carry only padding bits.
      tampered.searchParams.set('state', `${state.startsWith('A') ? 'B' : 'A'}${state.slice(1)}`);
      const res = await b.get(tampered.href);
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
      expect(res.body).toMatchObject({ code: 'invalid_token' });

      const missing = new URL(callback);
      missing.searchParams.delete('state');
      const none = await b.get(missing.href);
      expect(none.status).toBe(400);
      expect(none.location).toBeNull();
      expect(none.body).toMatchObject({ code: 'validation_failed' });

      const doubled = new URL(callback);
      doubled.searchParams.append('state', state);
      expect((await b.get(doubled.href)).status).toBe(400);

      // The genuine callback still works: refused attempts consumed nothing.
      const genuine = await b.get(callback.href);
      expect(new URL(genuine.location ?? '').searchParams.get('code')).toBeTruthy();
    });

    it('a callback from a browser without the binding cookie (login CSRF) gets no code', async () => {
      googleAccount(uniqueEmail('attacker'), true);
      const attacker = browser();
      const callback = await untilCallback(attacker, 'google', tenant);
      // The attacker sends its own callback URL to a victim, whose browser lacks the cookie.
      const victim = browser();
      const res = await victim.get(callback);
      expect(res.status).toBe(302);
      const back = new URL(res.location ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(APP);
      expect(back.searchParams.get('error')).toBe('login_failed');
      expect(back.searchParams.has('code')).toBe(false);
      expect((await socialAudit(t, 'failure')).at(-1)?.metadata.reason).toBe('browser_mismatch');
      // The state is spent: not even the attacker's own browser can use it now.
      expect((await attacker.get(callback)).status).toBe(400);
    });

    it('a different binding cookie is refused too', async () => {
      googleAccount(uniqueEmail(), true);
      const b = browser();
      const callback = await untilCallback(b, 'google', tenant);
      const other = browser();
      await other.get(startUrl('google', tenant)); // gets a cookie of its own
      const back = new URL((await other.get(callback)).location ?? '');
      expect(back.searchParams.get('error')).toBe('login_failed');
    });

    it('an ID token whose nonce is not the one sent is refused', async () => {
      googleAccount(uniqueEmail('nonce'), true);
      const b = browser();
      const callback = await untilCallback(b, 'google', tenant, (authorization) => {
        authorization.searchParams.set('nonce', 'a-nonce-the-attacker-chose-0123456789abcdef');
      });
      const back = new URL((await b.get(callback)).location ?? '');
      expect(back.searchParams.get('error')).toBe('login_failed');
      expect(back.searchParams.has('code')).toBe(false);
      expect((await socialAudit(t, 'failure')).at(-1)?.metadata).toMatchObject({
        reason: 'invalid_response',
      });
    });

    it('a PKCE challenge other than ours makes the provider refuse the code', async () => {
      googleAccount(uniqueEmail('pkce'), true);
      const b = browser();
      const callback = await untilCallback(b, 'google', tenant, (authorization) => {
        authorization.searchParams.set(
          'code_challenge',
          'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        );
      });
      const back = new URL((await b.get(callback)).location ?? '');
      expect(back.searchParams.get('error')).toBe('login_failed');
    });

    it('an ID token signed by a key the provider does not publish is refused', async () => {
      counter += 1;
      forger.addAccount(`forged-${counter}`, { email: uniqueEmail('forged'), emailVerified: true });
      const result = await socialLogin(browser(), 'corp', tenant);
      expect(result.code).toBeNull();
      expect(result.error).toBe('login_failed');
    });

    it('a replayed callback gets no second code', async () => {
      googleAccount(uniqueEmail(), true);
      const b = browser();
      const first = await socialLogin(b, 'google', tenant);
      expect(first.code).toBeTruthy();
      const replay = await b.get(first.callbackUrl ?? '');
      expect(replay.status).toBe(400);
      expect(replay.location).toBeNull();
    });

    it('a replayed one-time code answers 400 and ends the session the first use opened', async () => {
      googleAccount(uniqueEmail(), true);
      const { code } = await socialLogin(browser(), 'google', tenant);
      const { pair } = await exchange(t, code);
      const replay = await t.http().post('/v1/auth/exchange').send({ code });
      expect(replay.status).toBe(400);
      expect(replay.body.code).toBe('invalid_token');
      expect((await t.http().get('/v1/auth/me').set(bearer(pair.accessToken))).status).toBe(401);
    });

    it('a redirect_uri outside the allowlist answers 400 and never redirects', async () => {
      for (const uri of [
        'https://evil.example.com/auth/callback',
        `${APP}/more`,
        `${APP}x`,
        'https://app.example.com/auth',
        'http://app.example.com/auth/callback',
        'https://app.example.com.evil.example/auth/callback',
        'https://user@app.example.com/auth/callback',
        'javascript:alert(1)',
        '/auth/callback',
        '',
      ]) {
        const res = await t.http().get(startUrl('google', tenant, uri));
        expect(res.status, uri).toBe(400);
        expect(res.headers.location, uri).toBeUndefined();
        expect(res.body.code).toBe('validation_failed');
      }
      const noUri = await t.http().get(`/v1/auth/social/google?tenant=${tenant}`);
      expect(noUri.status).toBe(400);
      // Another allowlisted entry, and one with a query string, are fine.
      for (const uri of ['https://other.example.com/done', `${APP}?from=login`]) {
        expect((await t.http().get(startUrl('google', tenant, uri))).status, uri).toBe(302);
      }
    });

    it('unknown providers, tenants and providers the tenant has not enabled answer 4xx problems', async () => {
      const githubOnly = await createTenant(t, { settings: { socialProviders: ['github'] } });
      const ssoOnly = await createTenant(t, { settings: { ssoRequired: true } });
      const suspended = await createTenant(t);
      await updateRow(t, 'tenants', suspended.id, { status: 'suspended' });
      const cases: [string, number, string][] = [
        [startUrl('google', githubOnly.slug), 403, 'forbidden'],
        [startUrl('google', ssoOnly.slug), 403, 'forbidden'],
        [startUrl('google', suspended.slug), 403, 'forbidden'],
        [startUrl('google', 'no-such-tenant'), 403, 'forbidden'],
        [startUrl('facebook', tenant), 404, 'not_found'],
        [startUrl('github', tenant), 404, 'not_found'],
        [startUrl('Google', tenant), 404, 'not_found'],
        [
          `/v1/auth/social/google?tenant=${tenant}&redirect_uri=${encodeURIComponent(APP)}&x=1`,
          400,
          'validation_failed',
        ],
      ];
      for (const [url, status, code] of cases) {
        const res = await t.http().get(url);
        expect(res.status, url).toBe(status);
        expect(res.headers['content-type'], url).toMatch(/application\/problem\+json/);
        expect(res.body.code, url).toBe(code);
        expect(res.headers.location, url).toBeUndefined();
      }
      const googleOnly = await createTenant(t, { settings: { socialProviders: ['google'] } });
      googleAccount(uniqueEmail(), true);
      expect((await socialLogin(browser(), 'google', googleOnly.slug)).code).toBeTruthy();
    });

    it('a provider disabled for the tenant while the user is away gets ?error=access_denied', async () => {
      const other = await createTenant(t);
      googleAccount(uniqueEmail(), true);
      const b = browser();
      const callback = await untilCallback(b, 'google', other.slug);
      await updateRow(t, 'tenants', other.id, {
        settings: { ...other.settings, socialProviders: [] },
      });
      const back = new URL((await b.get(callback)).location ?? '');
      expect(back.searchParams.get('error')).toBe('access_denied');
    });

    it('the user cancelling at the provider comes back as ?error=access_denied, and the state is spent', async () => {
      googleAccount(uniqueEmail(), true);
      idp.cancelNext = true;
      const b = browser();
      const result = await socialLogin(b, 'google', tenant);
      expect(result.error).toBe('access_denied');
      expect(result.code).toBeNull();
      expect((await socialAudit(t, 'failure')).at(-1)?.metadata.reason).toBe('cancelled');
      expect((await b.get(result.callbackUrl ?? '')).status).toBe(400);
    });

    it('a provider error other than a cancel comes back as ?error=provider_error, never a 500', async () => {
      googleAccount(uniqueEmail(), true);
      const b = browser();
      const callback = new URL(await untilCallback(b, 'google', tenant));
      const failed = new URL(callback.href.split('?')[0] ?? '');
      failed.searchParams.set('error', 'invalid_scope');
      failed.searchParams.set('error_description', '<script>alert(1)</script>');
      failed.searchParams.set('state', callback.searchParams.get('state') ?? '');
      const res = await b.get(failed.href);
      expect(res.status).toBe(302);
      const back = new URL(res.location ?? '');
      expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'provider_error' });
    });
  });

  describe('several instances', () => {
    let database: TestDatabase;
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      // One database for both instances: a file on SQLite (memory is per connection).
      const file = join(tmpdir(), `gatehouse-social-${process.pid}-${Date.now()}.sqlite`);
      database = process.env.DATABASE_URL?.trim()
        ? await createTestDatabase()
        : {
            env: { DATABASE_PATH: file },
            drop: () =>
              Promise.all(
                ['', '-wal', '-shm'].map((s) => unlink(`${file}${s}`).catch(() => undefined)),
              ).then(() => undefined),
          };
      const env = sharedEnv();
      a = await createTestApp({ env, database });
      b = await createTestApp({ env, database });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await database?.drop();
    });

    it('a login started on one instance finishes on another: the state lives in the database', async () => {
      const shared = await createTenant(a);
      googleAccount(uniqueEmail('balanced'), true);
      const browserOnA = new Browser(a, PUBLIC_URL);
      const callback = await untilCallback(browserOnA, 'google', shared.slug);
      browserOnA.t = b;
      const res = await browserOnA.get(callback);
      const code = new URL(res.location ?? '').searchParams.get('code');
      expect(code).toBeTruthy();
      // …and the code is good on either instance.
      expect((await exchange(a, code)).me.user.tenantId).toBe(shared.id);
    });
  });
});
