import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_METADATA } from '../../src/common/decorators/access.decorators';
import { createTenant } from '../factories';
import { createTestApp, type TestApp } from '../support/app';

describe('gateway', () => {
  let t: TestApp;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: { CORS_ORIGINS: 'https://app.example.com,https://admin.example.com' },
    });
    tenant = (await createTenant(t)).slug;
  });
  afterAll(() => t.close());

  describe('bad input is a 4xx problem, never a 5xx', () => {
    const expectProblem = (
      res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
      status: number,
      code: string,
    ) => {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        type: `urn:gatehouse:problem:${code}`,
        status,
        code,
        title: expect.any(String),
        detail: expect.any(String),
      });
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/at .*\.(js|ts):\d+|SELECT|INSERT|QueryFailed|SQLITE|stack/i);
    };

    it('malformed JSON: 400 malformed_json', async () => {
      for (const body of ['{', '{"tenant": }', '[1,', 'nul', '{"a":"\\x"}']) {
        const res = await t
          .http()
          .post('/v1/auth/login')
          .set('Content-Type', 'application/json')
          .send(body);
        expectProblem(res, 400, 'malformed_json');
      }
    });

    it('a JSON body that is not an object: 400', async () => {
      for (const body of ['[]', '"text"', '42', 'null', '[{"tenant":"x"}]']) {
        const res = await t
          .http()
          .post('/v1/auth/login')
          .set('Content-Type', 'application/json')
          .send(body);
        expect(res.status, body).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    });

    it('unknown fields and wrong types: 400 validation_failed with the fields named', async () => {
      const unknown = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant, email: 'a@b.co', password: 'x', admin: true });
      expectProblem(unknown, 400, 'validation_failed');
      expect(unknown.body.errors).toEqual([
        { field: 'admin', message: 'is not an accepted field' },
      ]);

      const types = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: 1, email: ['a'], password: { $gt: '' } });
      expectProblem(types, 400, 'validation_failed');
      expect(types.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
        expect.arrayContaining(['email', 'password', 'tenant']),
      );
    });

    it('strings over their maximum length: 400', async () => {
      const res = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant, email: `${'a'.repeat(300)}@b.co`, password: 'x' });
      expectProblem(res, 400, 'validation_failed');
    });

    it('bodies over 100 kB: 413 payload_too_large', async () => {
      const res = await t
        .http()
        .post('/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ tenant, email: 'a@b.co', password: 'x'.repeat(110 * 1024) }));
      expectProblem(res, 413, 'payload_too_large');
    });

    it('an unknown route: 404 not_found; a wrong method on a known path: 404', async () => {
      expectProblem(await t.http().get('/v1/nothing-here'), 404, 'not_found');
      expectProblem(await t.http().delete('/v1/auth/login'), 404, 'not_found');
    });

    it('form bodies and text bodies are refused as invalid, not as errors', async () => {
      const form = await t
        .http()
        .post('/v1/auth/login')
        .type('form')
        .send('tenant=x&email=a@b.co&password=y&password=z');
      expect(form.status).toBe(400);
      const text = await t
        .http()
        .post('/v1/auth/login')
        .set('Content-Type', 'text/plain')
        .send('hello');
      expect(text.status).toBe(400);
    });
  });

  describe('request ids', () => {
    it('echo a well-formed incoming X-Request-Id on answers and problems', async () => {
      const res = await t.http().get('/v1/nothing').set('X-Request-Id', 'abc-123_DEF.4');
      expect(res.headers['x-request-id']).toBe('abc-123_DEF.4');
      expect(res.body.requestId).toBe('abc-123_DEF.4');
    });

    it('replace an unsafe one with a fresh UUID', async () => {
      for (const id of [
        'has space',
        'a'.repeat(129),
        'inject\r\nX-Evil: 1'.replace(/[\r\n]/g, ''),
        '<script>',
      ]) {
        const res = await t.http().get('/health/live').set('X-Request-Id', id);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('mint one when none came, also on a refused body', async () => {
      const res = await t
        .http()
        .post('/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });
  });

  describe('security headers', () => {
    it('API answers: CSP default-src none, nosniff, no-referrer, no-store, not framable', async () => {
      const res = await t.http().get('/health/live');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toContain('no-store');
      expect(
        (await t.http().post('/v1/auth/refresh').send({ refreshToken: 'x' })).headers[
          'cache-control'
        ],
      ).toBe('no-store');
      // JSON is framed by nobody through the CSP; the legacy header is kept for HTML pages only.
      expect(res.headers['x-frame-options']).toBeUndefined();
      expect((await t.http().get('/docs')).headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-powered-by']).toBeUndefined();
      // Plain HTTP: HSTS would be meaningless, and is not sent.
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it('the docs page gets a policy that lets Swagger UI load its own assets only', async () => {
      const res = await t.http().get('/docs');
      expect(res.status).toBe(200);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).not.toContain(
        "script-src 'self' 'unsafe-inline'",
      );
    });
  });

  describe('CORS allowlist', () => {
    it('an allowed origin gets Access-Control-Allow-Origin for itself', async () => {
      const res = await t.http().get('/health/live').set('Origin', 'https://app.example.com');
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
    });

    it('a refused origin gets no CORS headers at all', async () => {
      for (const origin of [
        'https://evil.example.com',
        'https://app.example.com.evil.com',
        'null',
        'http://app.example.com',
      ]) {
        const res = await t.http().get('/health/live').set('Origin', origin);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('preflight: allowed for listed origins with the API headers, bare for others', async () => {
      const ok = await t
        .http()
        .options('/v1/auth/login')
        .set('Origin', 'https://admin.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,authorization');
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://admin.example.com');
      expect(ok.headers['access-control-allow-methods']).toContain('POST');
      expect(ok.headers['access-control-allow-headers']).toContain('Authorization');
      const refused = await t
        .http()
        .options('/v1/auth/login')
        .set('Origin', 'https://evil.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('every route is either public or guarded: none is left open by omission', () => {
    // Over the app's own module graph; the app need not import DiscoveryModule for a test.
    const discovery = new DiscoveryService(t.app.get(ModulesContainer));
    const scanner = new MetadataScanner();
    const reflector = t.app.get(Reflector);
    const unguarded: string[] = [];
    let routes = 0;
    for (const wrapper of discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || !wrapper.metatype) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        routes += 1;
        const access = reflector.getAllAndOverride(ACCESS_METADATA, [handler, wrapper.metatype]);
        if (!access)
          unguarded.push(
            `${wrapper.metatype.name}.${name} (${String(Reflect.getMetadata(PATH_METADATA, handler))})`,
          );
      }
    }
    expect(routes).toBeGreaterThan(5);
    expect(unguarded).toEqual([]);
  });
});
