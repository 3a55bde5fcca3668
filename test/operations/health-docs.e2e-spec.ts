import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app';

describe('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET /health/live answers ok', async () => {
    const res = await t.http().get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('GET /health/ready checks the database (and Redis when configured)', async () => {
    const res = await t.http().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
    expect(res.body.info.redis.status).toBe('up');
    expect(res.body.info.redis.mode).toBe(process.env.REDIS_URL ? undefined : 'memory');
  });

  it('GET /docs serves Swagger UI and /docs-json an OpenAPI 3 document with every route', async () => {
    expect((await t.http().get('/docs')).status).toBe(200);
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    const doc = res.body as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { security?: unknown[]; responses: Record<string, unknown> }>
      >;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/v1/auth/register',
      '/v1/auth/login',
      '/v1/auth/refresh',
      '/v1/auth/logout',
      '/v1/auth/logout-all',
      '/v1/auth/me',
      '/.well-known/jwks.json',
      '/health/live',
      '/health/ready',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(doc.paths['/v1/auth/me'].get.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
    expect(doc.paths['/v1/auth/me'].get.responses).toHaveProperty('401');
    expect(doc.paths['/v1/auth/login'].post.responses).toHaveProperty('401');
    expect(doc.components.schemas).toHaveProperty('ProblemResponseDto');
    expect(doc.components.schemas).toHaveProperty('RegisterDto');
  });
});
