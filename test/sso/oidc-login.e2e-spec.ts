import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import { createConnection } from './support/connections';
import { TestOidcIdp } from './support/oidc-idp';
import { TestDns } from './support/test-dns';
import {
  APP_CALLBACK,
  auditEvents,
  codeOf,
  counts,
  metadataOf,
  SSO_ENV,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';

interface Connection {
  id: string;
  callbackUrl: string;
  loginUrl: string;
}

const CLIENT_SECRET = 'enterprise-client-secret-value';

describe('enterprise OIDC connections (e2e with a local oidc-provider)', () => {
  let t: TestApp;
  let idp: TestOidcIdp;
  let tenant: Tenant;
  let domain: string;
  let connection: Connection;
  let closedConnection: Connection;
  let dns: TestDns;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    idp = await TestOidcIdp.start();
    tenant = await createTenant(t);
    const owner = await userWithRole(t, tenant, 'owner');
    domain = uniqueDomain('oidc');
    const create = (clientId: string, domains: string[], jitProvisioning: boolean) =>
      createConnection(
        t,
        owner,
        {
          type: 'oidc',
          name: 'Corp OIDC',
          domains,
          jitProvisioning,
          oidc: { issuer: idp.issuer, clientId, clientSecret: CLIENT_SECRET },
        },
        dns,
      );
    connection = await create('gatehouse-jit', [domain], true);
    closedConnection = await create('gatehouse-closed', [uniqueDomain('oidc-closed')], false);
    await idp.register(
      [
        [connection, 'gatehouse-jit'],
        [closedConnection, 'gatehouse-closed'],
      ].map(([c, clientId]) => ({
        client_id: clientId as string,
        client_secret: CLIENT_SECRET,
        redirect_uris: [(c as Connection).callbackUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
    );
  });
  afterAll(async () => {
    await t.close();
    await idp.close();
    await dns.close();
  });

  /** Starts a login at Gatehouse: the IdP URL and the browser's binding cookie. */
  async function start(target = connection): Promise<{ authorizationUrl: string; cookie: string }> {
    const res = await t
      .http()
      .get(`/v1/sso/oidc/${target.id}/login`)
      .query({ redirect_uri: APP_CALLBACK });
    expect(res.status, JSON.stringify(res.body)).toBe(302);
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const binding = setCookie.find((line) => line.startsWith('gh_sso_oidc='));
    expect(binding).toBeDefined();
    return { authorizationUrl: String(res.headers.location), cookie: binding!.split(';')[0] };
  }

  function callback(url: string, cookie?: string) {
    const target = new URL(url);
    const request = t.http().get(`${target.pathname}${target.search}`);
    return cookie ? request.set('Cookie', cookie) : request;
  }

  async function signIn(accountId: string, target = connection) {
    const { authorizationUrl, cookie } = await start(target);
    const back = await idp.signIn(authorizationUrl, accountId);
    const res = await callback(back, cookie);
    expect(res.status, JSON.stringify(res.body)).toBe(302);
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(res.headers.location) });
    expect(exchange.status).toBe(200);
    const me = await t.http().get('/v1/auth/me').set(bearer(exchange.body.accessToken));
    return me.body as {
      user: { id: string; email: string; name: string; emailVerified: boolean };
      tenant: { id: string };
    };
  }

  async function expectRefused(
    response: Promise<{ status: number; body: { code?: string } }>,
    reason: string,
  ) {
    const res = await response;
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.body.code).toBe('sso_failed');
    const failures = (await auditEvents(t, 'auth.sso.login')).filter(
      (event) => event.outcome === 'failure',
    );
    expect(metadataOf(failures[failures.length - 1]).reason).toBe(reason);
  }

  it('login redirects to the IdP with code flow, PKCE S256, state and nonce, and binds the browser with an httpOnly Lax cookie', async () => {
    const res = await t
      .http()
      .get(`/v1/sso/oidc/${connection.id}/login`)
      .query({ redirect_uri: APP_CALLBACK });
    expect(res.status).toBe(302);
    const url = new URL(String(res.headers.location));
    expect(url.origin).toBe(idp.issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'gatehouse-jit',
      redirect_uri: connection.callbackUrl,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.has('code_verifier')).toBe(false);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
    expect(cookie).toMatch(/^gh_sso_oidc=[\w-]{43}; /);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/v1\/sso\/oidc/);
    // Nothing secret of the transaction is stored in clear.
    const states = await selectRows(t, 'sso_states', '1 = 1', {});
    expect(JSON.stringify(states)).not.toContain(url.searchParams.get('state'));
  });

  it('refuses a redirect_uri outside the allowlist, and an unknown or SAML connection id', async () => {
    expect(
      (
        await t
          .http()
          .get(`/v1/sso/oidc/${connection.id}/login`)
          .query({ redirect_uri: 'https://evil.example/' })
      ).status,
    ).toBe(400);
    expect(
      (
        await t
          .http()
          .get('/v1/sso/oidc/018f0000-0000-7000-8000-000000000000/login')
          .query({ redirect_uri: APP_CALLBACK })
      ).status,
    ).toBe(404);
  });

  it('JIT: the ID token (and userinfo) sign a new user into the connection’s tenant', async () => {
    const email = `jit.${Date.now()}@${domain}`;
    idp.accounts.set('jit-user', { email, email_verified: true, name: 'Jit User' });
    const before = await counts(t);
    const me = await signIn('jit-user');
    expect(me.tenant.id).toBe(tenant.id);
    expect(me.user).toMatchObject({ email, name: 'Jit User', emailVerified: true });
    const after = await counts(t);
    expect(after.users).toBe(before.users + 1);
    const [identity] = await selectRows(t, 'user_identities', 'user_id = :id', { id: me.user.id });
    expect(identity).toMatchObject({ provider: `sso:${connection.id}`, subject: 'jit-user' });
    // The second login finds the same user by its subject.
    expect((await signIn('jit-user')).user.id).toBe(me.user.id);
    expect((await counts(t)).users).toBe(after.users);
    const success = (await auditEvents(t, 'auth.sso.login')).filter(
      (event) => event.outcome === 'success' && event.target_id === me.user.id,
    );
    expect(metadataOf(success[0])).toMatchObject({ protocol: 'oidc', provisioned: true });
  });

  it('links an existing account when the IdP says the email is verified, and refuses when it does not', async () => {
    const verified = await register(t, tenant.slug, `linked.${Date.now()}@${domain}`);
    await updateRow(t, 'users', verified.user.id, { emailVerified: true });
    idp.accounts.set('verified-user', { email: verified.user.email, email_verified: true });
    expect((await signIn('verified-user')).user.id).toBe(verified.user.id);

    const unverified = await register(t, tenant.slug, `unverified.${Date.now()}@${domain}`);
    await updateRow(t, 'users', unverified.user.id, { emailVerified: true });
    idp.accounts.set('unverified-user', { email: unverified.user.email, email_verified: false });
    const before = await counts(t);
    const { authorizationUrl, cookie } = await start();
    await expectRefused(
      callback(await idp.signIn(authorizationUrl, 'unverified-user'), cookie),
      'email_not_verified',
    );
    expect(await counts(t)).toEqual(before);
  });

  it('JIT off: an unknown user is refused and nothing is created', async () => {
    const { authorizationUrl, cookie } = await start(closedConnection);
    idp.accounts.set('stranger', { email: 'stranger@nowhere.example', email_verified: true });
    const before = await counts(t);
    await expectRefused(
      callback(await idp.signIn(authorizationUrl, 'stranger'), cookie),
      'email_domain_not_allowed',
    );
    expect(await counts(t)).toEqual(before);
  });

  it('a callback in another browser (no or another binding cookie) is refused, and its state is spent', async () => {
    idp.accounts.set('victim', { email: `victim.${Date.now()}@${domain}`, email_verified: true });
    const { authorizationUrl, cookie } = await start();
    const back = await idp.signIn(authorizationUrl, 'victim');
    const before = await counts(t);
    const attacker = await start();
    await expectRefused(callback(back, attacker.cookie), 'browser_mismatch');
    await expectRefused(callback(back), 'state_invalid');
    await expectRefused(callback(back, cookie), 'state_invalid');
    expect(await counts(t)).toEqual(before);
  });

  it('a replayed callback is refused', async () => {
    idp.accounts.set('replay', { email: `replay.${Date.now()}@${domain}`, email_verified: true });
    const { authorizationUrl, cookie } = await start();
    const back = await idp.signIn(authorizationUrl, 'replay');
    expect((await callback(back, cookie)).status).toBe(302);
    const before = await counts(t);
    await expectRefused(callback(back, cookie), 'state_invalid');
    expect(await counts(t)).toEqual(before);
  });

  it('missing, unknown and other-connection states, tampered codes and IdP errors are refused (401, never 500)', async () => {
    const before = await counts(t);
    await expectRefused(callback(`${connection.callbackUrl}?code=x`), 'state_missing');
    await expectRefused(
      callback(`${connection.callbackUrl}?code=x&state=never-issued`),
      'state_invalid',
    );

    idp.accounts.set('mixup', { email: `mixup.${Date.now()}@${domain}`, email_verified: true });
    const other = await start(closedConnection);
    const back = new URL(await idp.signIn(other.authorizationUrl, 'mixup'));
    await expectRefused(
      callback(`${connection.callbackUrl}${back.search}`, other.cookie),
      'state_invalid',
    );

    const tampered = await start();
    const backTampered = new URL(await idp.signIn(tampered.authorizationUrl, 'mixup'));
    backTampered.searchParams.set('code', 'forged-code');
    await expectRefused(callback(backTampered.href, tampered.cookie), 'token_exchange_failed');

    const cancelled = await start();
    const aborted = await idp.abort(cancelled.authorizationUrl);
    expect(new URL(aborted).searchParams.get('error')).toBe('access_denied');
    await expectRefused(callback(aborted, cancelled.cookie), 'idp_error');
    expect(await counts(t)).toEqual(before);
  });

  it('an unreachable issuer answers 503 at login, without redirecting', async () => {
    const owner = await userWithRole(t, tenant, 'owner');
    const res = await t
      .http()
      .post('/v1/sso/connections')
      .set(owner.headers)
      .send({
        type: 'oidc',
        name: 'Down',
        domains: [uniqueDomain('down')],
        oidc: { issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' },
      });
    expect(res.status).toBe(201);
    const login = await t
      .http()
      .get(`/v1/sso/oidc/${res.body.id}/login`)
      .query({ redirect_uri: APP_CALLBACK });
    expect(login.status).toBe(503);
    expect(login.headers.location).toBeUndefined();
  });

  it('never logs or audits the client secret', async () => {
    await t.flushAudit();
    expect(t.logs.join('\n')).not.toContain(CLIENT_SECRET);
  });
});
