import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, login, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { freePort } from '../support/ports';

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find((candidate) =>
      candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `)
        ? wanted.every((label) => candidate.includes(label))
        : false,
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('exposes request counts and latency by route template, logins by outcome, tokens by grant, audit depth, event-loop lag and memory', async () => {
    const tenant = await createTenant(t);
    const account = await register(t, tenant.slug);
    await login(t, tenant.slug, account.user.email);
    await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email: account.user.email, password: 'wrong password here' });
    await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken })
      .expect(200);
    await t.http().get('/v1/auth/me').set(bearer(account.accessToken)).expect(200);
    await t
      .http()
      .get('/v1/users/01900000-0000-7000-8000-000000000000')
      .set(bearer(account.accessToken));

    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.text;
    expect(
      sample(text, 'gatehouse_http_requests_total', {
        method: 'GET',
        route: '/v1/auth/me',
        status: '200',
      }),
    ).toBe(1);
    // Route templates, never concrete ids.
    expect(text).toContain('route="/v1/users/:id"');
    expect(text).not.toContain('01900000-0000-7000-8000-000000000000');
    expect(
      sample(text, 'gatehouse_http_request_duration_seconds_count', {
        route: '/v1/auth/login',
        status: '200',
      }),
    ).toBe(1);
    expect(sample(text, 'gatehouse_logins_total', { outcome: 'success' })).toBe(1);
    expect(sample(text, 'gatehouse_logins_total', { outcome: 'failure' })).toBe(1);
    expect(sample(text, 'gatehouse_tokens_issued_total', { grant: 'password' })).toBe(2);
    expect(sample(text, 'gatehouse_tokens_issued_total', { grant: 'refresh' })).toBe(1);
    expect(text).toMatch(/^gatehouse_audit_buffer_depth \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
  });
});

describe('F20: METRICS_PORT keeps /metrics off the public listener', () => {
  let t: TestApp;
  let internal: string;
  beforeAll(async () => {
    const metricsPort = await freePort();
    t = await createTestApp({
      listen: true,
      env: { HOST: '127.0.0.1', METRICS_PORT: String(metricsPort) },
    });
    internal = `http://127.0.0.1:${metricsPort}`;
  });
  afterAll(() => t?.close());

  it('answers on METRICS_PORT, and 404 on the public listener whatever the spelling', async () => {
    const publicUrl = t.baseUrl!;
    const unknown = await request(publicUrl).get('/no-such-route');
    expect(unknown.body.code).toBe('not_found');
    // Someone on the public edge reads no login counters, under any spelling of the path.
    for (const path of ['/metrics', '/METRICS', '/metrics/', '/Metrics?x=1']) {
      const res = await request(publicUrl).get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).toMatchObject({ code: unknown.body.code, detail: unknown.body.detail });
      expect(res.text).not.toContain('gatehouse_');
    }

    const scrape = await request(internal).get('/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toContain('text/plain');
    // One registry: the public listener's requests are counted on the internal one.
    expect(
      sample(scrape.text, 'gatehouse_http_requests_total', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('serves nothing else on the internal port', async () => {
    for (const path of [
      '/health/live',
      '/v1/auth/me',
      '/docs',
      '/oidc/.well-known/openid-configuration',
    ]) {
      const res = await request(internal).get(path);
      expect(res.status, path).toBe(404);
    }
    expect((await request(t.baseUrl!).get('/health/live')).status).toBe(200);
  });

  it('stops listening with the app', async () => {
    const own = await freePort();
    const app = await createTestApp({ env: { HOST: '127.0.0.1', METRICS_PORT: String(own) } });
    expect((await request(`http://127.0.0.1:${own}`).get('/metrics')).status).toBe(200);
    await app.close();
    await expect(request(`http://127.0.0.1:${own}`).get('/metrics')).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
