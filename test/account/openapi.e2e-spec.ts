import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app';

interface Operation {
  summary?: string;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  security?: unknown[];
}

describe('OpenAPI of the account lifecycle', () => {
  let t: TestApp;
  let document: {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };

  beforeAll(async () => {
    t = await createTestApp();
    document = (await t.http().get('/docs-json').expect(200)).body as typeof document;
  });
  afterAll(() => t?.close());

  const routes: [string, string, string | null, string, boolean][] = [
    ['post', '/v1/auth/password/forgot', 'ForgotPasswordDto', '202', false],
    ['post', '/v1/auth/password/reset', 'ResetPasswordDto', '204', false],
    ['post', '/v1/auth/password/change', 'ChangePasswordDto', '204', true],
    ['post', '/v1/auth/email/verify', 'VerifyEmailDto', '204', false],
    ['post', '/v1/auth/email/resend', null, '202', true],
    ['get', '/v1/auth/sessions', null, '200', true],
    ['delete', '/v1/auth/sessions/{id}', null, '204', true],
    ['get', '/v1/auth/grants', null, '200', true],
    ['delete', '/v1/auth/grants/{id}', null, '204', true],
    ['post', '/v1/auth/mfa/totp/enroll', null, '200', true],
    ['post', '/v1/auth/mfa/totp/confirm', 'MfaCodeDto', '200', true],
    ['post', '/v1/auth/mfa/totp/disable', 'DisableMfaDto', '204', true],
    ['post', '/v1/auth/mfa/verify', 'VerifyMfaDto', '200', false],
  ];

  it.each(routes)('%s %s is documented', (method, path, body, status, bearer) => {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    if (!operation) return;
    expect(operation.summary).toEqual(expect.any(String));
    expect(Object.keys(operation.responses)).toContain(status);
    // Every route that reads a body or a query documents its validation answer.
    if (method !== 'delete') expect(Object.keys(operation.responses)).toContain('400');
    if (body) {
      expect(operation.requestBody?.content['application/json']?.schema.$ref).toBe(
        `#/components/schemas/${body}`,
      );
      expect(document.components.schemas[body]).toBeDefined();
    }
    if (bearer) expect(operation.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
    else expect(operation.security).toEqual([]);
    // Self-service refuses OAuth tokens and API keys: the 403 is part of the contract.
    if (bearer) expect(Object.keys(operation.responses)).toContain('403');
  });

  it('GET /v1/auth/me marks optional what a scoped token may not see', () => {
    const schemas = document.components.schemas as Record<string, { required?: string[] }>;
    expect(schemas.MeResponseDto?.required?.sort()).toEqual(['tenant', 'user']);
    expect(schemas.MeUserDto?.required?.sort()).toEqual(['id', 'tenantId']);
    expect(Object.keys(document.paths['/v1/auth/logout-all']?.post?.responses ?? {})).toContain(
      '403',
    );
  });
});
