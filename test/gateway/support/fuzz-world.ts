import { expect } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { bearer, login, STRONG_PASSWORD } from '../../factories';
import {
  type Actor,
  createApiKey,
  createMember,
  createProject,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../../factories/tenancy';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_TENANT, type TestApp } from '../../support/app';
import { createConnection } from '../../sso/support/connections';
import { uniqueDomain } from '../../sso/support/sso-fixtures';
import type { TestDns } from '../../sso/support/test-dns';

/** The objects of one tenant an operation can be pointed at. */
export interface TenantObjects {
  fixture: TenantFixture;
  /** A user the fuzzer may change, disable and delete (never one whose token it uses). */
  targetUserId: string;
  roleId: string;
  projectId: string;
  apiKeyId: string;
  oauthClientId: string;
  ssoConnectionId: string;
}

/**
 * Everything the OpenAPI fuzzer works on: a tenant with its owner, a member, a user, a role, a
 * project, an API key, an OAuth client and an SSO connection; the same in a second tenant (the
 * foreign ids); a spare tenant for the platform routes; and a session of the member.
 */
export interface FuzzWorld {
  /** The IdP certificate the SAML connections pin. */
  certificate: string;
  home: TenantObjects;
  foreign: TenantObjects;
  spareTenantId: string;
  member: Actor;
  memberSessionId: string;
  ownerSessionId: string;
  apiKeyHeaders: Record<string, string>;
  /** Fresh tokens (a fuzzed request may have ended the last ones' sessions). */
  tokens(): Promise<{ owner: Actor; member: Actor; platform: Actor }>;
}

async function objectsOf(
  t: TestApp,
  tenant: TenantFixture,
  certificate: string,
  dns: TestDns,
): Promise<TenantObjects & { apiKeyHeaders: Record<string, string> }> {
  const target = await createMember(t, tenant, ['member']);
  const roleId = await createRole(t, tenant, 'fuzz-reader', [
    { action: 'read', subject: 'Project' },
  ]);
  const projectId = await createProject(t, tenant.owner, 'Fuzzed project');
  const apiKey = await createApiKey(t, tenant.owner, { name: 'fuzz key' });
  const client = await t
    .http()
    .post('/v1/oauth/clients')
    .set(tenant.owner.headers)
    .send({
      name: 'Fuzzed client',
      type: 'confidential',
      redirectUris: ['https://app.example.com/cb'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: ['openid', 'profile', 'projects:read'],
    });
  expect(client.status, JSON.stringify(client.body)).toBe(201);
  const connection = await createConnection(
    t,
    tenant.owner,
    {
      type: 'saml',
      name: 'Fuzzed IdP',
      domains: [uniqueDomain('fuzz')],
      saml: {
        idpEntityId: 'https://idp.fuzz.example',
        ssoUrl: 'https://idp.fuzz.example/sso',
        certificate,
      },
    },
    dns,
  );
  return {
    fixture: tenant,
    targetUserId: target.userId,
    roleId,
    projectId,
    apiKeyId: apiKey.id,
    apiKeyHeaders: apiKey.headers,
    oauthClientId: client.body.id as string,
    ssoConnectionId: connection.id,
  };
}

async function firstSessionId(t: TestApp, actor: Actor): Promise<string> {
  const res = await t.http().get('/v1/auth/sessions').set(actor.headers);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items[0].id as string;
}

export async function buildFuzzWorld(
  t: TestApp,
  certificate: string,
  dns: TestDns,
): Promise<FuzzWorld> {
  const platform = await platformAdmin(t);
  const homeTenant = await createTenantWithOwner(t, platform);
  const foreignTenant = await createTenantWithOwner(t, platform);
  const spare = await createTenantWithOwner(t, platform);
  const { apiKeyHeaders, ...home } = await objectsOf(t, homeTenant, certificate, dns);
  const { apiKeyHeaders: _foreignKey, ...foreign } = await objectsOf(
    t,
    foreignTenant,
    certificate,
    dns,
  );
  const member = await createMember(t, homeTenant);
  const relogin = async (tenant: string, email: string, password: string, userId: string) => {
    const pair = await login(t, tenant, email, password);
    return { token: pair.accessToken, userId, email, headers: bearer(pair.accessToken) };
  };
  return {
    certificate,
    home,
    foreign,
    spareTenantId: spare.id,
    member,
    memberSessionId: await firstSessionId(t, member),
    ownerSessionId: await firstSessionId(t, homeTenant.owner),
    apiKeyHeaders,
    tokens: async () => ({
      owner: await relogin(
        homeTenant.slug,
        homeTenant.owner.email,
        STRONG_PASSWORD,
        homeTenant.owner.userId,
      ),
      member: await relogin(homeTenant.slug, member.email, STRONG_PASSWORD, member.userId),
      platform: await relogin(ROOT_TENANT, ADMIN_EMAIL, ADMIN_PASSWORD, platform.userId),
    }),
  };
}

/** An id nothing has: well formed, of the right version, and unknown. */
export function missingId(): string {
  return uuidv7();
}
