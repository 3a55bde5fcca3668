import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { SsoConnection } from '../../src/sso/entities/sso-connection.entity';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { createTenant } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { createConnection } from './support/connections';
import { TestOidcIdp } from './support/oidc-idp';
import {
  APP_CALLBACK,
  auditEvents,
  metadataOf,
  SSO_ENV,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';
import { TestDns } from './support/test-dns';
import { ConnectionRecorder, StubIssuer } from './support/upstream-stubs';

const CLIENT_SECRET = 'enterprise-client-secret-value';

/**
 * Review F5 and F11, as a tenant owner who controls an issuer would try them. The app runs the
 * outbound policy as production does (loopback refused: `configure` below is test-only, and
 * production cannot be given a looser one), with 127.0.0.1 opened by UPSTREAM_PRIVATE_ALLOWLIST
 * for the attacker's issuer; the "internal service" listens on 127.0.0.2 and counts connections.
 */
describe('SSRF through enterprise OIDC upstreams, and forged ID tokens (review F5, F11)', () => {
  let t: TestApp;
  let dns: TestDns;
  let stub: StubIssuer;
  let inside: ConnectionRecorder;
  let tenant: Tenant;
  let owner: { headers: Record<string, string> };

  beforeAll(async () => {
    dns = await TestDns.start();
    stub = await StubIssuer.start();
    inside = await ConnectionRecorder.start();
    t = await createTestApp({
      env: { ...SSO_ENV, ...dns.env, UPSTREAM_PRIVATE_ALLOWLIST: '127.0.0.1' },
      configure: (config) =>
        AppConfig.of({ ...config, outbound: { ...config.outbound, allowLoopback: false } }),
    });
    tenant = await createTenant(t);
    owner = await userWithRole(t, tenant, 'owner');
  });
  afterAll(async () => {
    await t.close();
    await stub.close();
    await inside.close();
    await dns.close();
  });

  function createOidc(issuer: string) {
    return t
      .http()
      .post('/v1/sso/connections')
      .set(owner.headers)
      .send({
        type: 'oidc',
        name: 'Attacker OIDC',
        domains: [uniqueDomain('ssrf')],
        oidc: { issuer, clientId: 'gatehouse', clientSecret: CLIENT_SECRET },
      });
  }

  async function connectionAt(issuer: string): Promise<string> {
    const res = await createOidc(issuer);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  function login(connectionId: string) {
    return t.http().get(`/v1/sso/oidc/${connectionId}/login`).query({ redirect_uri: APP_CALLBACK });
  }

  async function expectUnavailable(connectionId: string) {
    const res = await login(connectionId);
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.body.code).toBe('upstream_unavailable');
    expect(res.headers.location).toBeUndefined();
  }

  it('refuses an issuer at a private, link-local, ULA or internal loopback address at create and update (400 on oidc.issuer)', async () => {
    for (const issuer of [
      'https://10.0.3.7:8443/x',
      'https://169.254.169.254/',
      'https://[fd00::1]/',
      'https://100.64.0.1/',
      `https://127.0.0.2:${inside.port}/`,
    ]) {
      const res = await createOidc(issuer);
      expect(res.status, issuer).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors).toEqual([
        { field: 'oidc.issuer', message: expect.stringMatching(/not reachable/) },
      ]);
    }
    const id = await connectionAt(stub.discovery('/fine'));
    const patch = await t
      .http()
      .patch(`/v1/sso/connections/${id}`)
      .set(owner.headers)
      .send({ oidc: { issuer: 'https://169.254.169.254/latest/meta-data' } });
    expect(patch.status).toBe(400);
    expect(patch.body.errors[0].field).toBe('oidc.issuer');
    expect(inside.connections).toBe(0);
  });

  it('refuses at create a DNS name that resolves to a private address', async () => {
    const name = `metadata.${uniqueDomain('dns')}`;
    dns.publishAddress(name, '10.0.0.5');
    const res = await createOidc(`https://${name}/`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('oidc.issuer');
  });

  it('a name that later resolves inside (DNS rebinding) is refused at login, on the address dialled', async () => {
    const name = `rebind.${uniqueDomain('dns')}`;
    dns.publishAddress(name, '93.184.216.34');
    const id = await connectionAt(`https://${name}:${inside.port}/`);
    dns.publishAddress(name, '127.0.0.2');
    await expectUnavailable(id);
    expect(dns.queries).toContain(name);
    expect(inside.connections).toBe(0);
  });

  it('an issuer stored before the check (or before the allowlist narrowed) is refused before it is dialled', async () => {
    const id = await connectionAt(stub.discovery('/was-fine'));
    const connections = t.app.get(DataSource).getRepository(SsoConnection);
    const row = await connections.findOneByOrFail({ id });
    await connections.update(id, {
      oidc: { ...row.oidc!, issuer: `https://127.0.0.2:${inside.port}/` },
    });
    await expectUnavailable(id);
    expect(inside.connections).toBe(0);
  });

  it('a discovery document that names an internal token_endpoint or jwks_uri stops the login (503), nothing reaches inside', async () => {
    const token = await connectionAt(
      stub.discovery('/token-inside', { token_endpoint: inside.url('/token') }),
    );
    await expectUnavailable(token);
    const jwks = await connectionAt(
      stub.discovery('/jwks-inside', { jwks_uri: inside.url('/jwks') }),
    );
    await expectUnavailable(jwks);
    const userinfo = await connectionAt(
      stub.discovery('/userinfo-inside', { userinfo_endpoint: inside.url('/userinfo') }),
    );
    await expectUnavailable(userinfo);
    expect(inside.connections).toBe(0);
  });

  it('a discovery that redirects (302) inside is not followed', async () => {
    stub.route('/moved/.well-known/openid-configuration', (_req, res) => {
      res.writeHead(302, { location: inside.url('/.well-known/openid-configuration') }).end();
    });
    await expectUnavailable(await connectionAt(`${stub.base}/moved`));
    expect(stub.hitsOf('/moved/.well-known/openid-configuration')).toBe(1);
    expect(inside.connections).toBe(0);
  });

  it('an oversized discovery document (> 256 kB, streamed without a length) is refused', async () => {
    const issuer = `${stub.base}/huge`;
    stub.route('/huge/.well-known/openid-configuration', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"issuer":"${issuer}","authorization_endpoint":"${issuer}/auth","padding":"`);
      for (let i = 0; i < 40; i++) res.write('x'.repeat(8 * 1024));
      res.end('"}');
    });
    await expectUnavailable(await connectionAt(issuer));
    // The same document under the cap is accepted: the size is what was refused.
    const fits = await connectionAt(stub.discovery('/fits', {}, 200 * 1024));
    expect((await login(fits)).status).toBe(302);
  });

  it('a failed discovery is remembered for 60 s: anonymous /login hits do not fetch the issuer again', async () => {
    stub.route(
      '/down/.well-known/openid-configuration',
      (_req, res) => void res.writeHead(500).end(),
    );
    const id = await connectionAt(`${stub.base}/down`);
    for (let i = 0; i < 5; i++) await expectUnavailable(id);
    expect(stub.hitsOf('/down/.well-known/openid-configuration')).toBe(1);
  });

  it('an ID token signed by a key that is not in the issuer’s JWKS is refused (401 sso_failed)', async () => {
    const idp = await TestOidcIdp.start();
    try {
      const connection = await createConnection(
        t,
        owner,
        {
          type: 'oidc',
          name: 'Forged',
          domains: [uniqueDomain('forged')],
          jitProvisioning: true,
          oidc: { issuer: idp.issuer, clientId: 'forged', clientSecret: CLIENT_SECRET },
        },
        dns,
      );
      await idp.register([
        {
          client_id: 'forged',
          client_secret: CLIENT_SECRET,
          redirect_uris: [connection.callbackUrl],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ]);
      // The issuer publishes another key under the same kid: the ID token's signature cannot verify.
      const { publicKey } = await generateKeyPair('RS256', { extractable: true });
      idp.servedJwks = {
        keys: [{ ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig', kid: 'test-idp-key' }],
      };
      idp.accounts.set('forged-user', {
        email: `forged@${connection.domains[0].domain}`,
        email_verified: true,
      });
      const start = await login(connection.id);
      expect(start.status).toBe(302);
      const cookie = ([] as string[]).concat(start.headers['set-cookie'] ?? [])[0].split(';')[0];
      const back = new URL(await idp.signIn(String(start.headers.location), 'forged-user'));
      const res = await t.http().get(`${back.pathname}${back.search}`).set('Cookie', cookie);
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body.code).toBe('sso_failed');
      const failures = (await auditEvents(t, 'auth.sso.login')).filter(
        (event) => event.outcome === 'failure',
      );
      expect(metadataOf(failures[failures.length - 1]).reason).toBe('token_exchange_failed');
    } finally {
      await idp.close();
    }
  });
});
