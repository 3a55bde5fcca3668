import type { RawRule } from '@casl/ability';
import { type PackRule, unpackRules } from '@casl/ability/extra';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { authorizeInBrowser, createClient, decodeJwt, tenantAdmin } from './support';

const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const insecure = { execute: [oidc.allowInsecureRequests] };

describe('OAuth 2.0 / OIDC server with openid-client as the relying party', () => {
  let t: TestApp;
  let issuer: URL;
  let tenant: { id: string; slug: string };
  let admin: { accessToken: string; userId: string };
  let member: { id: string; email: string };
  let webClient: { clientId: string; clientSecret: string; id: string };
  let web: oidc.Configuration;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = new URL(`${t.baseUrl}/oidc`);
    tenant = await createTenant(t);
    admin = await tenantAdmin(t, tenant);
    const email = uniqueEmail('member');
    member = { id: (await register(t, tenant.slug, email)).user.id, email };
    const created = await createClient(t, admin.accessToken, {
      name: 'Acme web',
      type: 'confidential',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'offline_access', 'users:read', 'projects:write'],
    });
    webClient = {
      id: created.id,
      clientId: created.clientId,
      clientSecret: created.clientSecret ?? '',
    };
    web = await oidc.discovery(
      issuer,
      webClient.clientId,
      undefined,
      oidc.ClientSecretBasic(webClient.clientSecret),
      insecure,
    );
  });
  afterAll(() => t.close());

  async function codeFlow(
    configuration: oidc.Configuration,
    scope: string,
    email = member.email,
  ): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: REDIRECT_URI,
      scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const { location } = await authorizeInBrowser(url, { email });
    return oidc.authorizationCodeGrant(configuration, location, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
  }

  it('publishes discovery at /oidc/.well-known/openid-configuration, with the issuer it signs with', async () => {
    const metadata = web.serverMetadata();
    expect(metadata.issuer).toBe(`${t.baseUrl}/oidc`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).not.toContain('password');
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    const res = await t.http().get('/oidc/.well-known/openid-configuration');
    expect(res.status).toBe(200);
  });

  it('the provider publishes exactly the keys of /.well-known/jwks.json', async () => {
    const provider = await t.http().get('/oidc/jwks');
    const ours = await t.http().get('/.well-known/jwks.json');
    const kids = (body: { keys: { kid: string }[] }) => body.keys.map((key) => key.kid).sort();
    expect(kids(provider.body)).toEqual(kids(ours.body));
    for (const key of provider.body.keys as Record<string, unknown>[])
      expect(key.d).toBeUndefined();
  });

  it('code + PKCE: a validated ID token, userinfo, and a SPEC §8 access token accepted by /v1', async () => {
    const tokens = await codeFlow(web, 'openid profile email offline_access users:read');
    const claims = tokens.claims();
    expect(claims?.sub).toBe(member.id);
    expect(claims?.iss).toBe(`${t.baseUrl}/oidc`);
    expect(claims?.aud).toBe(webClient.clientId);

    const info = await oidc.fetchUserInfo(web, tokens.access_token, member.id);
    expect(info).toMatchObject({ sub: member.id, email: member.email, email_verified: false });

    const { header, payload } = decodeJwt(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(typeof header.kid).toBe('string');
    expect(payload).toMatchObject({
      iss: `${t.baseUrl}/oidc`,
      aud: t.config.tokens.audience,
      sub: member.id,
      tid: tenant.id,
      client_id: webClient.clientId,
    });
    expect(payload.scope).toContain('users:read');
    for (const claim of ['iat', 'exp', 'jti']) expect(payload[claim]).toBeDefined();

    const me = await t.http().get('/v1/auth/me').set(bearer(tokens.access_token));
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(member.id);
    // users:read lets the token read users, within what the member itself may do.
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it("a token never allows more than both its scopes and the user's own permissions", async () => {
    type Rule = RawRule<string, string>;
    const rulesOf = async (accessToken: string): Promise<Rule[]> => {
      const me = await t.http().get('/v1/auth/me').set(bearer(accessToken));
      expect(me.status).toBe(200);
      return unpackRules<Rule>(me.body.permissions as PackRule<Rule>[]);
    };
    const names = (value: unknown): string[] =>
      (Array.isArray(value) ? value : [value]).filter(
        (item): item is string => typeof item === 'string',
      );
    const allows = (rules: Rule[], action: string, subject: string) =>
      rules.some(
        (rule) => names(rule.subject).includes(subject) && names(rule.action).includes(action),
      );
    const mentions = (rules: Rule[], subject: string) =>
      rules.some((rule) => names(rule.subject).includes(subject));
    const tokens = await codeFlow(web, 'openid users:read projects:write');
    const rules = await rulesOf(tokens.access_token);
    // users:read keeps the member's reading of users, and cuts its "update yourself".
    expect(allows(rules, 'read', 'User')).toBe(true);
    expect(allows(rules, 'update', 'User')).toBe(false);
    // The member holds nothing on OAuth clients or roles, whatever the scopes.
    expect(mentions(rules, 'OAuthClient') || mentions(rules, 'Role')).toBe(false);

    // The client loses users:read: tokens it already holds lose it too.
    const narrowed = await t
      .http()
      .patch(`/v1/oauth/clients/${webClient.id}`)
      .set(bearer(admin.accessToken))
      .send({ scopes: ['openid', 'profile', 'email', 'offline_access', 'projects:write'] });
    expect(narrowed.status).toBe(200);
    expect(mentions(await rulesOf(tokens.access_token), 'User')).toBe(false);
    await t
      .http()
      .patch(`/v1/oauth/clients/${webClient.id}`)
      .set(bearer(admin.accessToken))
      .send({
        scopes: ['openid', 'profile', 'email', 'offline_access', 'users:read', 'projects:write'],
      });
  });

  it('refresh rotation: a new pair each time; the old refresh token replayed revokes the grant', async () => {
    const first = await codeFlow(web, 'openid offline_access users:read');
    const second = await oidc.refreshTokenGrant(web, first.refresh_token ?? '');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await t.http().get('/v1/auth/me').set(bearer(second.access_token))).status).toBe(200);

    await expect(oidc.refreshTokenGrant(web, first.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // The whole grant is gone: the rotated refresh token and the access tokens stop working.
    await expect(oidc.refreshTokenGrant(web, second.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect((await t.http().get('/v1/auth/me').set(bearer(second.access_token))).status).toBe(401);
  });

  it('introspection (client authentication required) and revocation', async () => {
    const tokens = await codeFlow(web, 'openid offline_access users:read');
    const refreshToken = tokens.refresh_token ?? '';
    const active = await oidc.tokenIntrospection(web, refreshToken);
    expect(active).toMatchObject({ active: true, client_id: webClient.clientId, sub: member.id });

    const anonymous = await fetch(`${issuer.href}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: webClient.clientId }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('cache-control')).toContain('no-store');
    expect(await anonymous.json()).toMatchObject({ error: 'invalid_client' });

    await oidc.tokenRevocation(web, refreshToken);
    expect(await oidc.tokenIntrospection(web, refreshToken)).toEqual({ active: false });
    // Revoking the refresh token revoked its grant: the access token stops working too.
    expect((await t.http().get('/v1/auth/me').set(bearer(tokens.access_token))).status).toBe(401);
    await expect(oidc.fetchUserInfo(web, tokens.access_token, member.id)).rejects.toBeDefined();
  });

  it('client credentials: a client principal limited by its roles and its scopes', async () => {
    const created = await createClient(t, admin.accessToken, {
      name: 'Acme worker',
      type: 'confidential',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['users:read'],
      roleIds: [],
    });
    const machine = await oidc.discovery(
      issuer,
      created.clientId,
      undefined,
      oidc.ClientSecretPost(created.clientSecret ?? ''),
      insecure,
    );
    const tokens = await oidc.clientCredentialsGrant(machine, { scope: 'users:read' });
    const { header, payload } = decodeJwt(tokens.access_token);
    expect(header.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: created.clientId,
      client_id: created.clientId,
      tid: tenant.id,
      aud: t.config.tokens.audience,
      scope: 'users:read',
    });
    // Authenticated as the client, but it holds no role: a user-only route refuses it.
    const me = await t.http().get('/v1/auth/me').set(bearer(tokens.access_token));
    expect(me.status).toBe(403);
    // Not its grant type: a web client cannot use client credentials.
    await expect(oidc.clientCredentialsGrant(web, { scope: 'users:read' })).rejects.toMatchObject({
      error: expect.stringMatching(/^(unauthorized_client|invalid_request)$/),
    });
  });
});
