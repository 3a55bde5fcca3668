import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInBrowser } from '../oauth/support';
import {
  buildAssertion,
  buildResponse,
  createIdpKeys,
  encode,
  type IdpKeys,
  readAuthnRequest,
  removeIdpKeys,
  samlId,
  signAssertion,
} from '../sso/support/saml-idp';
import { PrivateRedis } from '../support/redis';
import { TestDns } from '../sso/support/test-dns';
import { type AppProcess, startAppProcess } from './support/app-process';
import { type PrivatePostgres, startPrivatePostgres } from './support/private-postgres';

const PASSWORD = 'a long and unusual passphrase';
const APP_CALLBACK = 'https://app.example.com/sso/callback';
const OAUTH_REDIRECT = 'https://app.example.com/oauth/callback';
const IDP = 'https://idp.instances.example/saml';
const FORGOT_LIMIT = 6;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  app: AppProcess,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; form?: Record<string, string>; cookie?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(`${app.url}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

async function login(
  app: AppProcess,
  tenant: string,
  email: string,
  password = PASSWORD,
): Promise<string> {
  const res = await call(app, 'POST', '/v1/auth/login', {
    body: { tenant, email, password },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.accessToken as string;
}

/** Polls until `check` holds; fails if it does not within `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  for (;;) {
    const elapsed = Date.now() - started;
    if (elapsed > limitMs) throw new Error(`not within ${limitMs} ms`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * SPEC §12 / issue 9: two processes of the production build on different ports, sharing one
 * PostgreSQL and one Redis and nothing else, behave as one service. Each test starts a flow on
 * one instance and finishes or checks it on the other.
 */
describe('two instances on one PostgreSQL and one Redis act as one', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let one: AppProcess;
  let two: AppProcess;
  let keys: IdpKeys;
  let tenant: { id: string; slug: string };
  let ownerToken: string;
  let roleIds: Record<string, string>;
  let dns: TestDns;

  beforeAll(async () => {
    keys = createIdpKeys();
    [postgres, redis, dns] = await Promise.all([
      startPrivatePostgres(),
      PrivateRedis.start(),
      TestDns.start(),
    ]);
    const env = {
      ...dns.env,
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      APP_REDIRECT_ALLOWLIST: APP_CALLBACK,
      RATE_LIMITS: JSON.stringify({
        routes: { passwordForgot: { limit: FORGOT_LIMIT, ttl: 300 } },
        // The audit-chain test writes as fast as it can; the tenant's tier must not stop it.
        tiers: { free: { limit: 100_000, ttl: 60 } },
      }),
    };
    // The first applies the migrations and bootstraps; the second then finds everything in place.
    // Behind a load balancer both answer to one public address, so they share PUBLIC_URL.
    one = await startAppProcess(env);
    two = await startAppProcess({ ...env, PUBLIC_URL: one.url });

    const admin = await login(one, 'root', 'admin@gatehouse.test', 'platform admin passphrase');
    const slug = `instances-${randomBytes(4).toString('hex')}`;
    const created = await call(two, 'POST', '/v1/tenants', {
      token: admin,
      body: { slug, name: 'Instances', owner: { email: `owner@${slug}.test`, password: PASSWORD } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    tenant = { id: (created.body.tenant as { id: string }).id, slug };
    ownerToken = await login(one, slug, `owner@${slug}.test`);
    const roles = await call(two, 'GET', '/v1/roles', { token: ownerToken });
    roleIds = Object.fromEntries(
      (roles.body.items as { id: string; name: string }[]).map((role) => [role.name, role.id]),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await Promise.all([postgres?.destroy(), redis?.stop(), dns?.close()]);
    removeIdpKeys();
  });

  async function createUser(roles: string[]): Promise<{ id: string; email: string }> {
    const email = `${randomBytes(5).toString('hex')}@${tenant.slug}.test`;
    const res = await call(one, 'POST', '/v1/users', {
      token: ownerToken,
      body: {
        email,
        name: 'Instance user',
        password: PASSWORD,
        roleIds: roles.map((r) => roleIds[r]),
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id as string, email };
  }

  it('enforces one rate limit across both instances', async () => {
    // `password/forgot` has a limit of its own that nothing else here spends, so the count is exact.
    const answers: number[] = [];
    for (let attempt = 0; attempt < FORGOT_LIMIT + 4; attempt++) {
      const res = await call(attempt % 2 === 0 ? one : two, 'POST', '/v1/auth/password/forgot', {
        body: { tenant: tenant.slug, email: `nobody${attempt}@x.test` },
      });
      answers.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    // Per-process counters would have let each instance answer FORGOT_LIMIT times.
    expect(answers).toEqual([
      ...Array<number>(FORGOT_LIMIT).fill(202),
      ...Array<number>(4).fill(429),
    ]);
  });

  it("both instances append to one tenant's audit chain at once, and it stays one intact chain", async () => {
    const verify = async () => {
      const res = await call(one, 'GET', '/v1/audit-events/verify', { token: ownerToken });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { valid: boolean; checked: number; firstBrokenId: string | null };
    };
    // Steady writes on both instances for a while: each flushes a batch for the same chain every
    // 50 ms, so now and then both append at the same instant, one of them loses the race for the
    // next position and must re-read the head and try again.
    const created: string[] = [];
    const until = Date.now() + 2_000;
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; Date.now() < until; i++) {
          const res = await call(worker % 2 === 0 ? one : two, 'POST', '/v1/projects', {
            token: ownerToken,
            body: { name: `chain ${worker}-${i}` },
          });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          created.push(res.body.id as string);
        }
      }),
    );
    // Every event is in the chain, each once, and the chain verifies from its first row.
    const audited = async () => {
      const ids: string[] = [];
      let cursor = '';
      do {
        const res = await call(
          two,
          'GET',
          `/v1/audit-events?action=project.created&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
          { token: ownerToken },
        );
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        ids.push(...(res.body.items as { target: { id: string } }[]).map((item) => item.target.id));
        cursor = (res.body.nextCursor as string | null) ?? '';
      } while (cursor);
      return ids;
    };
    await within(10_000, async () => (await audited()).length >= created.length);
    expect((await audited()).sort()).toEqual([...created].sort());
    expect(await verify()).toMatchObject({ valid: true, firstBrokenId: null });
  });

  it('a logout-all on one instance makes the other refuse the access token within 10 s', async () => {
    const user = await createUser(['member']);
    const token = await login(one, tenant.slug, user.email);
    // The other instance has verified (and cached) the token before the logout.
    expect((await call(two, 'GET', '/v1/auth/me', { token })).status).toBe(200);
    expect((await call(one, 'POST', '/v1/auth/logout-all', { token })).status).toBe(204);
    await within(10_000, async () => {
      return (await call(two, 'GET', '/v1/auth/me', { token })).status === 401;
    });
  });

  it('a role change on one instance applies on the other within 10 s, both ways', async () => {
    const user = await createUser(['member']);
    const token = await login(two, tenant.slug, user.email);
    expect((await call(two, 'GET', '/v1/audit-events', { token })).status).toBe(403);

    const grant = await call(one, 'PUT', `/v1/users/${user.id}/roles`, {
      token: ownerToken,
      body: { roleIds: [roleIds.member, roleIds.admin] },
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(200);
    await within(10_000, async () => {
      return (await call(two, 'GET', '/v1/audit-events', { token })).status === 200;
    });

    const revoke = await call(one, 'PUT', `/v1/users/${user.id}/roles`, {
      token: ownerToken,
      body: { roleIds: [roleIds.member] },
    });
    expect(revoke.status).toBe(200);
    await within(10_000, async () => {
      return (await call(two, 'GET', '/v1/audit-events', { token })).status === 403;
    });
  });

  it('an OAuth code issued by one instance is redeemed once on the other, and never again', async () => {
    const client = await call(one, 'POST', '/v1/oauth/clients', {
      token: ownerToken,
      body: {
        name: 'Instances web',
        type: 'confidential',
        redirectUris: [OAUTH_REDIRECT],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid', 'profile', 'email'],
        skipConsent: true,
      },
    });
    expect(client.status, JSON.stringify(client.body)).toBe(201);
    const clientId = client.body.clientId as string;
    const secret = client.body.clientSecret as string;
    const user = await createUser(['member']);

    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${one.url}/oidc/auth`);
    authorize.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: OAUTH_REDIRECT,
      scope: 'openid email',
      state: randomBytes(8).toString('hex'),
      nonce: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const { location } = await authorizeInBrowser(authorize, {
      email: user.email,
      password: PASSWORD,
    });
    const code = location.searchParams.get('code');
    expect(code, location.toString()).toBeTruthy();

    const redeem = (app: AppProcess) =>
      fetch(`${app.url}/oidc/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: OAUTH_REDIRECT,
          code_verifier: verifier,
        }),
      });
    const first = await redeem(two);
    const tokens = (await first.json()) as { access_token?: string; error?: string };
    expect(first.status, JSON.stringify(tokens)).toBe(200);
    // The token the second instance issued is good on the first.
    const me = await call(one, 'GET', '/v1/auth/me', { token: tokens.access_token });
    expect(me.status).toBe(200);
    expect(me.body.id ?? (me.body.user as { id?: string } | undefined)?.id).toBe(user.id);

    const replay = await redeem(one);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('a SAML response consumed on one instance is refused on the other', async () => {
    const domain = `${randomBytes(4).toString('hex')}.instances.example`;
    const created = await call(two, 'POST', '/v1/sso/connections', {
      token: ownerToken,
      body: {
        type: 'saml',
        name: 'Instances IdP',
        domains: [domain],
        jitProvisioning: true,
        saml: {
          idpEntityId: IDP,
          ssoUrl: 'https://idp.instances.example/sso',
          certificate: keys.certificate,
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const connection = created.body as {
      id: string;
      spEntityId: string;
      acsUrl: string;
      domains: { txtName: string; txtValue: string }[];
    };
    // Only a domain proven by DNS signs anyone in (JIT here).
    dns.publish(connection.domains[0].txtName, connection.domains[0].txtValue);
    const verified = await call(
      one,
      'POST',
      `/v1/sso/connections/${connection.id}/domains/verify`,
      {
        token: ownerToken,
      },
    );
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);

    const start = await call(
      one,
      'GET',
      `/v1/sso/saml/${connection.id}/login?redirect_uri=${encodeURIComponent(APP_CALLBACK)}`,
    );
    expect(start.status).toBe(302);
    const requestId = readAuthnRequest(start.headers.get('location') ?? '').id;
    // The browser-binding cookie the ACS requires (F12).
    const binding = (start.headers.getSetCookie()[0] ?? '').split(';')[0];
    const xml = signAssertion(
      buildResponse({
        idpEntityId: IDP,
        destination: connection.acsUrl,
        inResponseTo: requestId,
        body: buildAssertion({
          idpEntityId: IDP,
          audience: connection.spEntityId,
          recipient: connection.acsUrl,
          inResponseTo: requestId,
          nameId: `jit@${domain}`,
          id: samlId(),
        }),
      }),
      { keys },
    );
    const acs = (app: AppProcess) =>
      call(app, 'POST', `/v1/sso/saml/${connection.id}/acs`, {
        form: { SAMLResponse: encode(xml) },
        cookie: binding,
      });

    const accepted = await acs(two);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(302);
    const code = new URL(accepted.headers.get('location') ?? '').searchParams.get('code');
    expect(code).toBeTruthy();

    const replayed = await acs(one);
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('sso_failed');

    // The one-time code from the second instance is redeemed on the first, once.
    expect((await call(one, 'POST', '/v1/auth/exchange', { body: { code } })).status).toBe(200);
    expect((await call(two, 'POST', '/v1/auth/exchange', { body: { code } })).status).toBe(400);
  });
});
