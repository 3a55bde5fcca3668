import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { rawDate, selectRows } from '../support/sql';
import {
  authorizeInBrowser,
  browserFetch,
  CookieJar,
  type CreatedClient,
  createClient,
  hiddenField,
  tenantAdmin,
  tenantOwner,
} from './support';

const REDIRECT_URI = 'https://app.example.com/callback';

interface TokenAnswer {
  status: number;
  body: Record<string, string>;
  headers: Headers;
}

describe('OAuth server under attack', () => {
  let t: TestApp;
  let base: string;
  let tenantA: { id: string; slug: string };
  let tenantB: { id: string; slug: string };
  let memberA: { id: string; email: string };
  let memberB: { id: string; email: string };
  let confidential: CreatedClient;
  let other: CreatedClient;
  let publicClient: CreatedClient;
  let clientOfB: CreatedClient;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    base = t.baseUrl ?? '';
    tenantA = await createTenant(t);
    tenantB = await createTenant(t);
    const adminA = await tenantAdmin(t, tenantA);
    const adminB = await tenantAdmin(t, tenantB);
    const ownerA = await tenantOwner(t, tenantA);
    const emailA = uniqueEmail('a');
    memberA = { id: (await register(t, tenantA.slug, emailA)).user.id, email: emailA };
    const emailB = uniqueEmail('b');
    memberB = { id: (await register(t, tenantB.slug, emailB)).user.id, email: emailB };
    const web = {
      type: 'confidential',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'offline_access', 'users:read', 'users:write'],
    };
    confidential = await createClient(t, adminA.accessToken, { name: 'A web', ...web });
    other = await createClient(t, adminA.accessToken, { name: 'A other', ...web });
    publicClient = await createClient(t, ownerA.accessToken, {
      name: 'A spa',
      type: 'public',
      redirectUris: ['http://127.0.0.1:9000/cb'],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'offline_access', 'users:read'],
      skipConsent: true,
    });
    clientOfB = await createClient(t, adminB.accessToken, { name: 'B web', ...web });
  });
  afterAll(() => t.close());

  function pkce(): { verifier: string; challenge: string } {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  function authorizeUrl(client: CreatedClient, params: Record<string, string> = {}): URL {
    const url = new URL(`${base}/oidc/auth`);
    const redirectUri = (client.redirectUris as string[])[0] ?? REDIRECT_URI;
    for (const [name, value] of Object.entries({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid offline_access users:read',
      state: 'st',
      ...params,
    })) {
      url.searchParams.set(name, value);
    }
    return url;
  }

  async function token(
    form: Record<string, string>,
    client?: { clientId: string; clientSecret?: string },
  ): Promise<TokenAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (client?.clientSecret) {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
    }
    const res = await fetch(`${base}/oidc/token`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(form),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, string>,
      headers: res.headers,
    };
  }

  /** A code for the confidential client (with PKCE unless told otherwise). */
  async function codeFor(
    client: CreatedClient,
    email: string,
    params: Record<string, string> = {},
  ): Promise<{ code: string; location: URL }> {
    const { location } = await authorizeInBrowser(authorizeUrl(client, params), { email });
    const code = location.searchParams.get('code');
    if (!code) throw new Error(`no code: ${location.href}`);
    return { code, location };
  }

  async function exchange(
    client: CreatedClient,
    code: string,
    verifier?: string,
  ): Promise<TokenAnswer> {
    return token(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: (client.redirectUris as string[])[0] ?? REDIRECT_URI,
        ...(verifier ? { code_verifier: verifier } : {}),
        ...(client.clientSecret ? {} : { client_id: client.clientId }),
      },
      client,
    );
  }

  it('the authorization response carries iss (RFC 9207); codes live at most 60 s', async () => {
    const { challenge } = pkce();
    const { location } = await codeFor(confidential, memberA.email, {
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('iss')).toBe(`${base}/oidc`);
    expect(location.searchParams.get('state')).toBe('st');
    const rows = await selectRows(t, 'oauth_artifacts', 'model = :model', {
      model: 'AuthorizationCode',
    });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const payload = JSON.parse(String(row.payload)) as { iat: number; exp: number };
      expect(payload.exp - payload.iat).toBeLessThanOrEqual(60);
      expect(rawDate(row.expires_at).getTime()).toBeLessThanOrEqual(Date.now() + 61_000);
    }
  });

  it('a code redeemed twice: the replay fails and what the first redemption issued is revoked', async () => {
    const { verifier, challenge } = pkce();
    const { code } = await codeFor(confidential, memberA.email, {
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const first = await exchange(confidential, code, verifier);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toContain('no-store');
    expect((await t.http().get('/v1/auth/me').set(bearer(first.body.access_token))).status).toBe(
      200,
    );

    const replay = await exchange(confidential, code, verifier);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(replay.headers.get('content-type')).toContain('application/json');

    expect((await t.http().get('/v1/auth/me').set(bearer(first.body.access_token))).status).toBe(
      401,
    );
    const refresh = await token(
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      confidential,
    );
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('concurrent redemptions of one code: exactly one gets tokens', async () => {
    const { verifier, challenge } = pkce();
    const { code } = await codeFor(confidential, memberA.email, {
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => exchange(confidential, code, verifier)),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.error === 'invalid_grant')).toHaveLength(4);
  });

  it('concurrent uses of one refresh token: exactly one gets a new pair, and the grant is revoked', async () => {
    const { code } = await codeFor(confidential, memberA.email);
    const pair = await exchange(confidential, code);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        token(
          { grant_type: 'refresh_token', refresh_token: pair.body.refresh_token },
          confidential,
        ),
      ),
    );
    const winners = answers.filter((answer) => answer.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.error === 'invalid_grant')).toHaveLength(4);
    // Two parties held the token: nothing of the grant survives, the winner's pair included.
    const next = await token(
      { grant_type: 'refresh_token', refresh_token: winners[0]?.body.refresh_token ?? '' },
      confidential,
    );
    expect(next.body.error).toBe('invalid_grant');
  });

  it('redirect URIs match exactly: suffix, case, trailing slash and query variants never redirect', async () => {
    const variants = [
      `${REDIRECT_URI}/evil`,
      `${REDIRECT_URI}x`,
      'https://app.example.com/Callback',
      'https://APP.example.com.evil.test/callback',
      `${REDIRECT_URI}/`,
      `${REDIRECT_URI}?next=https://evil.test`,
      'https://evil.test/callback',
      'http://app.example.com/callback',
    ];
    for (const redirectUri of variants) {
      const res = await browserFetch(
        new CookieJar(),
        authorizeUrl(confidential, { redirect_uri: redirectUri }),
      );
      expect(res.status, redirectUri).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      const html = await res.text();
      expect(html).toContain('redirect_uri');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('an unknown client, or no client at all, never redirects', async () => {
    for (const url of [
      authorizeUrl({ ...confidential, clientId: 'gh_unknown' }),
      new URL(
        `${base}/oidc/auth?response_type=code&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
      ),
    ]) {
      const res = await browserFetch(new CookieJar(), url);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('a public client without PKCE, or with plain PKCE, is refused', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
      { code_challenge: 'a'.repeat(43) },
    ];
    for (const params of attempts) {
      const res = await browserFetch(new CookieJar(), authorizeUrl(publicClient, params));
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:9000/cb');
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('code')).toBeNull();
    }
  });

  it('a public client with S256 gets tokens without a secret, and only with the right verifier', async () => {
    const { verifier, challenge } = pkce();
    const { code } = await codeFor(publicClient, memberA.email, {
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const wrong = await exchange(publicClient, code, pkce().verifier);
    expect(wrong.body.error).toBe('invalid_grant');
    // The failed attempt did not consume the code for the legitimate client... or it did; in
    // either case no token was issued for the wrong verifier.
    const { verifier: v2, challenge: c2 } = pkce();
    const second = await codeFor(publicClient, memberA.email, {
      code_challenge: c2,
      code_challenge_method: 'S256',
    });
    const ok = await exchange(publicClient, second.code, v2);
    expect(ok.status).toBe(200);
    expect(ok.body.access_token).toEqual(expect.any(String));
    expect(verifier).not.toBe(v2);
  });

  it("CORS at the token endpoint: a public client's own origin only", async () => {
    // Preflights are open (the client is not known yet); the request itself is checked.
    const post = (origin: string) =>
      fetch(`${base}/oidc/token`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: 'not-a-refresh-token',
          client_id: publicClient.clientId,
        }),
      });
    const own = await post('http://127.0.0.1:9000');
    expect(own.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9000');
    expect(((await own.json()) as { error: string }).error).toBe('invalid_grant');
    const foreign = await post('https://evil.test');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await foreign.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('PKCE downgrade: a challenge without its verifier, or a verifier without a challenge, fails', async () => {
    const { challenge } = pkce();
    const withChallenge = await codeFor(confidential, memberA.email, {
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect((await exchange(confidential, withChallenge.code)).body.error).toBe('invalid_grant');

    const withoutChallenge = await codeFor(confidential, memberA.email);
    const injected = await exchange(confidential, withoutChallenge.code, pkce().verifier);
    expect(injected.body.error).toBe('invalid_grant');
  });

  it('a wrong client secret answers 401 invalid_client', async () => {
    const { code } = await codeFor(confidential, memberA.email);
    const res = await exchange({ ...confidential, clientSecret: 'not-the-secret' }, code);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.headers.get('cache-control')).toContain('no-store');
    const post = await token({
      grant_type: 'client_credentials',
      client_id: confidential.clientId,
      client_secret: `${confidential.clientSecret ?? ''}x`,
    });
    expect(post.status).toBe(401);
  });

  it("another client's code or refresh token is refused", async () => {
    const { code } = await codeFor(confidential, memberA.email);
    const stolen = await exchange(other, code);
    expect(stolen.body.error).toBe('invalid_grant');

    const { code: code2 } = await codeFor(confidential, memberA.email);
    const own = await exchange(confidential, code2);
    expect(own.status).toBe(200);
    const refresh = await token(
      { grant_type: 'refresh_token', refresh_token: own.body.refresh_token },
      other,
    );
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('scope escalation on refresh is refused', async () => {
    const { code } = await codeFor(confidential, memberA.email);
    const pair = await exchange(confidential, code);
    const escalated = await token(
      {
        grant_type: 'refresh_token',
        refresh_token: pair.body.refresh_token,
        scope: 'openid users:read users:write',
      },
      confidential,
    );
    expect(escalated.status).toBe(400);
    expect(escalated.body.error).toBe('invalid_scope');
  });

  it('an ID token is never accepted as an access token', async () => {
    const { code } = await codeFor(confidential, memberA.email);
    const pair = await exchange(confidential, code);
    expect(pair.body.id_token).toEqual(expect.any(String));
    const me = await t.http().get('/v1/auth/me').set(bearer(pair.body.id_token));
    expect(me.status).toBe(401);
    const userinfo = await fetch(`${base}/oidc/me`, {
      headers: { authorization: `Bearer ${pair.body.id_token}` },
    });
    expect(userinfo.status).toBe(401);
  });

  it('the password and implicit grants are refused', async () => {
    const password = await token(
      { grant_type: 'password', username: memberA.email, password: 'x' },
      confidential,
    );
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
    const implicit = await browserFetch(
      new CookieJar(),
      authorizeUrl(confidential, { response_type: 'token' }),
    );
    const location = implicit.headers.get('location');
    // Refused before anything is issued (the implicit flow's fragment mode is not even allowed).
    const answer = location ?? (await implicit.text());
    expect(answer).toMatch(/error=(unsupported_response_type|invalid_request)/);
    expect(answer).not.toMatch(/[?#&]code=/);
    expect(location ?? '').not.toContain('access_token');
  });

  it("tenant isolation: a user of another tenant cannot sign in to a tenant's client", async () => {
    await expect(
      authorizeInBrowser(authorizeUrl(confidential), { email: memberB.email }),
    ).rejects.toThrow(/401/);
    // Signed in at tenant B's client, the same browser is asked to sign in again at tenant A's.
    const jar = new CookieJar();
    const atB = await authorizeInBrowser(
      authorizeUrl(clientOfB),
      { email: memberB.email },
      { jar },
    );
    expect(atB.location.searchParams.get('code')).toEqual(expect.any(String));
    const atA = await browserFetch(jar, authorizeUrl(confidential));
    expect(atA.status).toBe(303);
    const page = await browserFetch(jar, new URL(atA.headers.get('location') ?? '', base));
    expect(await page.text()).toContain('name="password"');
  });

  it("a token of tenant A does not reach tenant B's objects", async () => {
    const { code } = await codeFor(confidential, memberA.email);
    const pair = await exchange(confidential, code);
    const res = await t
      .http()
      .get(`/v1/oauth/clients/${clientOfB.id}`)
      .set(bearer(pair.body.access_token));
    expect([403, 404]).toContain(res.status);
    expect(JSON.stringify(res.body)).not.toContain(clientOfB.clientId);
  });

  it('the login form is CSRF-safe: no token, a wrong token or a foreign origin is refused', async () => {
    const jar = new CookieJar();
    const start = await browserFetch(jar, authorizeUrl(confidential));
    const pageUrl = new URL(start.headers.get('location') ?? '', base);
    const page = await browserFetch(jar, pageUrl);
    const html = await page.text();
    const csrf = hiddenField(html, 'csrf');
    const action = new URL(`${pageUrl.pathname}/login`, base);
    const forged: Record<string, string>[] = [
      { email: memberA.email, password: 'a long and unusual passphrase' },
      { csrf: `${csrf}x`, email: memberA.email, password: 'a long and unusual passphrase' },
    ];
    for (const form of forged) {
      const res = await browserFetch(jar, action, { form });
      expect(res.status).toBe(403);
    }
    const foreign = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.test',
        cookie: jar.header(action),
      },
      body: new URLSearchParams({
        csrf,
        email: memberA.email,
        password: 'a long and unusual passphrase',
      }),
    });
    expect(foreign.status).toBe(403);
    // Without the interaction cookie (another browser) the form is refused as well.
    const cookieless = await browserFetch(new CookieJar(), action, {
      form: { csrf, email: memberA.email, password: 'a long and unusual passphrase' },
    });
    expect(cookieless.status).toBe(400);
  });

  it('the login page: strict CSP, never framed, no inline script or style, a wrong password re-renders', async () => {
    const jar = new CookieJar();
    const start = await browserFetch(jar, authorizeUrl(confidential));
    const pageUrl = new URL(start.headers.get('location') ?? '', base);
    const page = await browserFetch(jar, pageUrl);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' https://app.example.com");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toContain('no-store');
    const html = await page.text();
    expect(html).not.toMatch(/<script|style=/i);
    expect(html).toContain('<label for="email">');

    const wrong = await browserFetch(jar, new URL(`${pageUrl.pathname}/login`, base), {
      form: { csrf: hiddenField(html, 'csrf'), email: memberA.email, password: 'wrong password!' },
    });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toContain('role="alert"');
    expect(again).not.toContain('wrong password!');
    expect(t.logs.join('\n')).not.toContain('wrong password!');
  });
});
