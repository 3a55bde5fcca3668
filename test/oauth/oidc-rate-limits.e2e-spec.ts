import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { CookieJar, type CreatedClient, createClient, hiddenField, tenantAdmin } from './support';

const REDIRECT_URI = 'https://rp.example.com/cb';
const LOGIN_LIMIT = 3;
const AUTHORIZE_LIMIT = 4;
const TOKEN_LIMIT = 4;
const LIMITS = {
  anonymous: { limit: 100, ttl: 600 },
  routes: {
    login: { limit: LOGIN_LIMIT, ttl: 600 },
    oidcAuthorize: { limit: AUTHORIZE_LIMIT, ttl: 600 },
    oidcToken: { limit: TOKEN_LIMIT, ttl: 600 },
  },
};

let ipCounter = 0;
/** A client address of its own per attacker (TRUST_PROXY=true), so counters never mix. */
function newIp(): string {
  ipCounter += 1;
  return `203.0.113.${ipCounter}`;
}

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** A client-credentials request to the token endpoint, from `ip`. */
function tokenRequest(base: string, ip: string, clientId: string, secret: string) {
  return fetch(`${base}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization: basic(clientId, secret),
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': ip,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'users:read' }),
  });
}

async function expectEngineTooMany(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(await res.json()).toEqual({
    error: 'rate_limited',
    error_description: expect.stringContaining('Retry after'),
  });
}

/** Attacks on the OAuth server's credential checks, from one address, with limits on. */
describe('rate limits on the OAuth server', () => {
  let t: TestApp;
  let base: string;
  let tenant: { id: string; slug: string };
  let rp: CreatedClient;
  let machine: CreatedClient;
  let member: string;

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: { RATE_LIMITS: JSON.stringify(LIMITS), TRUST_PROXY: 'true' },
    });
    base = t.baseUrl ?? '';
    tenant = await createTenant(t);
    const admin = await tenantAdmin(t, tenant);
    member = uniqueEmail('member');
    await register(t, tenant.slug, member);
    rp = await createClient(t, admin.accessToken, {
      name: 'RP',
      type: 'confidential',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code'],
      scopes: ['openid', 'email'],
    });
    machine = await createClient(t, admin.accessToken, {
      name: 'Machine',
      type: 'confidential',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['users:read'],
    });
  });
  afterAll(() => t.close());

  function authorizeUrl(): URL {
    const url = new URL(`${base}/oidc/auth`);
    url.search = new URLSearchParams({
      client_id: rp.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      state: 'st',
    }).toString();
    return url;
  }

  function authorize(ip: string, jar = new CookieJar()): Promise<Response> {
    return fetch(authorizeUrl(), { headers: { 'x-forwarded-for': ip }, redirect: 'manual' }).then(
      (res) => {
        jar.store(res);
        return res;
      },
    );
  }

  it('password guesses on the OAuth login form fall under the login rule, per IP', async () => {
    const jar = new CookieJar();
    const started = await authorize(newIp(), jar);
    expect(started.status).toBe(303);
    const page = new URL(started.headers.get('location') ?? '', base);
    const html = await (
      await fetch(page, { headers: { cookie: jar.header(page) ?? '' }, redirect: 'manual' })
    ).text();
    const csrf = hiddenField(html, 'csrf');
    const attacker = newIp();
    const guess = (ip: string, password: string) =>
      fetch(new URL(`${page.pathname}/login`, base), {
        method: 'POST',
        headers: {
          cookie: jar.header(page) ?? '',
          origin: base,
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': ip,
        },
        body: new URLSearchParams({ csrf, email: member, password }),
        redirect: 'manual',
      });

    for (let i = 0; i < LOGIN_LIMIT; i++) {
      const res = await guess(attacker, `wrong guess ${i}`);
      expect(res.status).not.toBe(429);
      expect(res.headers.get('ratelimit-limit')).toBe(String(LOGIN_LIMIT));
    }
    const refused = await guess(attacker, 'one guess too many');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { code: string }).code).toBe('rate_limited');
    // Another address still gets its own attempts.
    expect((await guess(newIp(), 'another guess')).status).not.toBe(429);
  });

  it('a loop on /oidc/auth is refused with 429 in the engine format, never redirected', async () => {
    // The client has answered once, so its requests count per (IP, client).
    expect((await authorize(newIp())).status).toBe(303);
    const attacker = newIp();
    for (let i = 0; i < AUTHORIZE_LIMIT; i++) {
      const res = await authorize(attacker);
      expect(res.status).toBe(303);
      expect(res.headers.get('ratelimit-remaining')).toBe(String(AUTHORIZE_LIMIT - i - 1));
    }
    await expectEngineTooMany(await authorize(attacker));
    expect((await authorize(newIp())).status).toBe(303);
  });

  it('a loop of bad client secrets on /oidc/token is refused with 429; the client itself is not', async () => {
    const attacker = newIp();
    for (let i = 0; i < TOKEN_LIMIT; i++) {
      const res = await tokenRequest(base, attacker, machine.clientId, `guess-${i}`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
    }
    await expectEngineTooMany(await tokenRequest(base, attacker, machine.clientId, 'guess'));
    // Naming the client from the attacker's address spent none of the client's own budget.
    const legit = await tokenRequest(base, newIp(), machine.clientId, machine.clientSecret ?? '');
    expect(legit.status).toBe(200);
    expect(((await legit.json()) as { access_token?: string }).access_token).toEqual(
      expect.any(String),
    );
  });

  it('inventing client ids does not escape the per-IP counter', async () => {
    const attacker = newIp();
    for (let i = 0; i < TOKEN_LIMIT; i++) {
      const res = await tokenRequest(base, attacker, `invented-${i}`, 'secret');
      expect(res.status).toBe(401);
    }
    await expectEngineTooMany(await tokenRequest(base, attacker, 'invented-last', 'secret'));
  });

  it('RATE_LIMITS=off leaves the engine unlimited', async () => {
    const off = await createTestApp({ listen: true, env: { TRUST_PROXY: 'true' } });
    try {
      const attacker = newIp();
      for (let i = 0; i < TOKEN_LIMIT * 3; i++) {
        const res = await tokenRequest(off.baseUrl ?? '', attacker, 'any-client', 'secret');
        expect(res.status).toBe(401);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
    } finally {
      await off.close();
    }
  });
});
