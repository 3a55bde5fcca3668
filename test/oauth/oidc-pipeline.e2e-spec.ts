import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../audit/helpers';
import { createTenant } from '../factories';
import { OidcProviderService } from '../../src/oauth/provider/oidc-provider.service';
import { createTestApp, type TestApp } from '../support/app';
import { createClient, tenantAdmin } from './support';

const ORIGIN = 'https://app.example.com';

function sample(text: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith('gatehouse_http_requests_total{') &&
        wanted.every((label) => candidate.includes(label)),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * The authorization server's endpoints are served ahead of Express (configure-app.ts); their
 * answers must still get everything every other answer gets.
 */
describe('the /oidc pipeline', () => {
  let t: TestApp;
  let admin: { accessToken: string };
  let client: { clientId: string; clientSecret?: string };

  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: ORIGIN, TRUST_PROXY: 'true' }, listen: true });
    admin = await tenantAdmin(t, await createTenant(t));
    client = await createClient(t, admin.accessToken, {
      name: 'Pipeline',
      type: 'confidential',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['users:read'],
    });
  });
  afterAll(() => t.close());

  const token = (requestId?: string) => {
    const req = t
      .http()
      .post('/oidc/token')
      .auth(client.clientId, client.clientSecret ?? '')
      .set('X-Forwarded-For', '203.0.113.7')
      .set('User-Agent', 'pipeline-test');
    if (requestId) req.set('X-Request-Id', requestId);
    return req.type('form').send({ grant_type: 'client_credentials', scope: 'users:read' });
  };

  it('answers carry the request id, the security headers and no-store', async () => {
    const echoed = await token('pipeline-request-1');
    expect(echoed.status).toBe(200);
    expect(echoed.headers['x-request-id']).toBe('pipeline-request-1');
    const minted = await token('not a safe id: "quoted"');
    expect(minted.status).toBe(200);
    expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const discovery = await t.http().get('/oidc/.well-known/openid-configuration?x=1');
    expect(discovery.status).toBe(200);
    expect(discovery.body.issuer).toMatch(/\/oidc$/);
    for (const res of [echoed, discovery]) {
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
    expect(echoed.headers['cache-control']).toBe('no-store');
  });

  it('the audit event of a token has the request id and the address behind one proxy hop', async () => {
    expect((await token('pipeline-audit-1')).status).toBe(200);
    const events = await auditEvents(t, admin.accessToken, { action: 'oauth.token.issued' });
    const event = events.find((item) => item.requestId === 'pipeline-audit-1');
    expect(event).toMatchObject({
      ip: '203.0.113.7',
      userAgent: 'pipeline-test',
      actor: { type: 'client' },
      metadata: {
        grantType: 'client_credentials',
        clientId: client.clientId,
        refreshIssued: false,
      },
    });
  });

  it('is counted under one route label in /metrics', async () => {
    const before = sample((await t.http().get('/metrics')).text, {
      method: 'POST',
      route: '/oidc',
      status: '200',
    });
    expect((await token()).status).toBe(200);
    expect((await token()).status).toBe(200);
    const after = sample((await t.http().get('/metrics')).text, {
      method: 'POST',
      route: '/oidc',
      status: '200',
    });
    expect(after - before).toBe(2);
  });

  it('applies the CORS allowlist: an allowed origin is named, another gets nothing', async () => {
    const allowed = await t
      .http()
      .get('/oidc/.well-known/openid-configuration')
      .set('Origin', ORIGIN);
    expect(allowed.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(allowed.headers['access-control-expose-headers']).toContain('X-Request-Id');
    const preflight = await t
      .http()
      .options('/oidc/token')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it("Gatehouse's own pages under /oidc, and paths that only look like it, stay with Nest", async () => {
    const page = await t.http().get('/oidc/interaction/unknown-interaction');
    // The OAuth module's controller answers (an HTML error page), not the engine's 404 JSON.
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const lookalike = await t.http().get('/oidcx/token');
    expect(lookalike.status).toBe(404);
    expect(lookalike.headers['content-type']).toContain('application/problem+json');
    const engine404 = await t.http().get('/oidc/no-such-endpoint');
    expect(engine404.status).toBe(404);
    expect(engine404.headers['content-type']).not.toContain('application/problem+json');
  });

  it('a fault in the engine answers 500 problem+json, and the next request is served', async () => {
    const engine = t.app.get(OidcProviderService);
    const handle = engine.handle.bind(engine);
    engine.handle = () => {
      throw new Error('injected fault');
    };
    try {
      const res = await t
        .http()
        .get('/oidc/.well-known/openid-configuration?login_hint=secret-hint%40example.com');
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 500, code: 'internal_error' });
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(JSON.stringify(res.body)).not.toContain('injected fault');
      // Logged with its stack, under the path: the query string is not.
      const logged = t.logs.filter((line) => line.includes('injected fault'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('GET /oidc/.well-known/openid-configuration');
      expect(t.logs.join('\n')).not.toContain('secret-hint');
    } finally {
      engine.handle = handle;
    }
    expect((await t.http().get('/oidc/.well-known/openid-configuration')).status).toBe(200);
  });

  it('accepts a request target in absolute form (RFC 9112 §3.2.2), as a proxy may send it', async () => {
    const base = new URL(t.baseUrl ?? '');
    const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          path: `${base.origin}/oidc/.well-known/openid-configuration?x=1`,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { issuer: string }).issuer).toBe(`${base.origin}/oidc`);
  });
});
