import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { sha256Hex } from '../../src/common/crypto/tokens';
import { Role } from '../../src/roles/entities/role.entity';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRow, selectRows } from '../support/sql';
import { createClient, tenantAdmin, tenantOwner } from './support';

const CONFIDENTIAL = {
  name: 'Acme dashboard',
  type: 'confidential',
  redirectUris: ['https://app.example.com/callback'],
  postLogoutRedirectUris: ['https://app.example.com/'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  scopes: ['openid', 'email', 'offline_access', 'users:read'],
};

describe('/v1/oauth/clients', () => {
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let admin: { accessToken: string; userId: string };
  let owner: { accessToken: string };
  let otherAdmin: { accessToken: string };
  let memberToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
    admin = await tenantAdmin(t, tenant);
    owner = await tenantOwner(t, tenant);
    otherAdmin = await tenantAdmin(t, await createTenant(t));
    memberToken = (await register(t, tenant.slug)).accessToken;
  });
  afterAll(() => t.close());

  async function clientCredentials(clientId: string, secret: string) {
    return t
      .http()
      .post('/oidc/token')
      .auth(clientId, secret)
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'users:read' });
  }

  it('creates a confidential client: 201 with its secret once, stored only as SHA-256', async () => {
    const res = await t
      .http()
      .post('/v1/oauth/clients')
      .set(bearer(admin.accessToken))
      .send(CONFIDENTIAL);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      clientId: expect.stringMatching(/^gh_[\w-]{22}$/),
      clientSecret: expect.stringMatching(/^[\w-]{43}$/),
      name: 'Acme dashboard',
      type: 'confidential',
      redirectUris: CONFIDENTIAL.redirectUris,
      grantTypes: CONFIDENTIAL.grantTypes,
      scopes: CONFIDENTIAL.scopes,
      roleIds: [],
      skipConsent: false,
    });
    const row = await selectRow(t, 'oauth_clients', res.body.id);
    expect(row.secret_hash).toBe(sha256Hex(res.body.clientSecret));
    expect(JSON.stringify(row)).not.toContain(res.body.clientSecret);

    const shown = await t
      .http()
      .get(`/v1/oauth/clients/${res.body.id}`)
      .set(bearer(admin.accessToken));
    expect(shown.status).toBe(200);
    expect(shown.body.clientSecret).toBeUndefined();
    expect(JSON.stringify(shown.body)).not.toContain(row.secret_hash as string);

    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id: res.body.id });
    expect(events.map((event) => event.action)).toContain('oauth.client.created');
    expect(JSON.stringify(events)).not.toContain(res.body.clientSecret);
    expect(t.logs.join('\n')).not.toContain(res.body.clientSecret);
  });

  it('a public client gets no secret and may not use client credentials', async () => {
    const created = await createClient(t, admin.accessToken, {
      name: 'SPA',
      type: 'public',
      redirectUris: ['http://localhost:5173/callback', 'http://[::1]:8080/cb'],
      grantTypes: ['authorization_code'],
      scopes: ['openid'],
    });
    expect(created.clientSecret).toBeUndefined();
    expect(created.tokenEndpointAuthMethods).toEqual(['none']);
    const refused = await t
      .http()
      .post('/v1/oauth/clients')
      .set(bearer(admin.accessToken))
      .send({ ...CONFIDENTIAL, type: 'public' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toContainEqual({
      field: 'grantTypes',
      message: 'client_credentials needs a confidential client',
    });
    const rotate = await t
      .http()
      .post(`/v1/oauth/clients/${created.id}/secret`)
      .set(bearer(admin.accessToken));
    expect(rotate.status).toBe(400);
  });

  it('validates everything: unknown fields, URIs, grant types, scopes, lengths and list sizes', async () => {
    const bad: Record<string, unknown>[] = [
      { ...CONFIDENTIAL, extra: true },
      { ...CONFIDENTIAL, type: 'hybrid' },
      { ...CONFIDENTIAL, name: '' },
      { ...CONFIDENTIAL, name: 'x'.repeat(201) },
      { ...CONFIDENTIAL, redirectUris: ['http://app.example.com/callback'] },
      { ...CONFIDENTIAL, redirectUris: ['https://app.example.com/cb#fragment'] },
      { ...CONFIDENTIAL, redirectUris: ['https://user:pw@app.example.com/cb'] },
      { ...CONFIDENTIAL, redirectUris: ['javascript:alert(1)'] },
      { ...CONFIDENTIAL, redirectUris: ['/relative'] },
      { ...CONFIDENTIAL, redirectUris: [`https://app.example.com/${'a'.repeat(2001)}`] },
      {
        ...CONFIDENTIAL,
        redirectUris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`),
      },
      { ...CONFIDENTIAL, redirectUris: [] },
      { ...CONFIDENTIAL, postLogoutRedirectUris: ['http://evil.test/'] },
      { ...CONFIDENTIAL, grantTypes: ['password'] },
      { ...CONFIDENTIAL, grantTypes: ['implicit'] },
      { ...CONFIDENTIAL, grantTypes: [] },
      { ...CONFIDENTIAL, grantTypes: ['refresh_token'] },
      { ...CONFIDENTIAL, scopes: ['admin'] },
      { ...CONFIDENTIAL, scopes: 'openid users:read' },
      { ...CONFIDENTIAL, scopes: [] },
      { ...CONFIDENTIAL, roleIds: ['not-a-uuid'] },
      { ...CONFIDENTIAL, skipConsent: 'yes' },
    ];
    for (const body of bad) {
      const res = await t
        .http()
        .post('/v1/oauth/clients')
        .set(bearer(admin.accessToken))
        .send(body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('roleIds must be roles of the tenant that the caller holds entirely (else 403)', async () => {
    const dataSource = t.app.get(DataSource);
    const roles = dataSource.getRepository(Role);
    const owner = await roles.findOneOrFail({ where: { tenantId: tenant.id, name: 'owner' } });
    const memberRole = await roles.findOneOrFail({
      where: { tenantId: tenant.id, name: 'member' },
    });
    const escalation = await t
      .http()
      .post('/v1/oauth/clients')
      .set(bearer(admin.accessToken))
      .send({ ...CONFIDENTIAL, roleIds: [owner.id] });
    expect(escalation.status).toBe(403);
    expect(escalation.body.code).toBe('forbidden');

    const foreignRole = await t
      .http()
      .post('/v1/oauth/clients')
      .set(bearer(otherAdmin.accessToken))
      .send({ ...CONFIDENTIAL, roleIds: [memberRole.id] });
    expect(foreignRole.status).toBe(400);

    const ok = await createClient(t, admin.accessToken, {
      ...CONFIDENTIAL,
      roleIds: [memberRole.id],
    });
    expect(ok.roleIds).toEqual([memberRole.id]);
  });

  it('members may not manage clients; another tenant sees 404', async () => {
    const created = await createClient(t, admin.accessToken, CONFIDENTIAL);
    expect(
      (await t.http().post('/v1/oauth/clients').set(bearer(memberToken)).send(CONFIDENTIAL)).status,
    ).toBe(403);
    expect((await t.http().get('/v1/oauth/clients').set(bearer(memberToken))).status).toBe(403);
    for (const [method, path] of [
      ['get', `/v1/oauth/clients/${created.id}`],
      ['patch', `/v1/oauth/clients/${created.id}`],
      ['delete', `/v1/oauth/clients/${created.id}`],
      ['post', `/v1/oauth/clients/${created.id}/secret`],
    ] as const) {
      const res = await t
        .http()
        [method](path)
        .set(bearer(otherAdmin.accessToken))
        .send({ name: 'x' });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await t.http().get('/v1/oauth/clients').set(bearer(otherAdmin.accessToken));
    expect(list.body.items.map((item: { id: string }) => item.id)).not.toContain(created.id);
    expect(
      (await t.http().get('/v1/oauth/clients/not-a-uuid').set(bearer(admin.accessToken))).status,
    ).toBe(404);
  });

  it('lists with a cursor', async () => {
    const fresh = await tenantAdmin(t, await createTenant(t));
    for (let i = 0; i < 3; i++) {
      await createClient(t, fresh.accessToken, { ...CONFIDENTIAL, name: `c${i}` });
    }
    const first = await t.http().get('/v1/oauth/clients?limit=2').set(bearer(fresh.accessToken));
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t
      .http()
      .get(`/v1/oauth/clients?limit=2&cursor=${first.body.nextCursor}`)
      .set(bearer(fresh.accessToken));
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    expect(
      (await t.http().get('/v1/oauth/clients?limit=101').set(bearer(fresh.accessToken))).status,
    ).toBe(400);
  });

  it('updates a client (200) and refuses what would make it inconsistent', async () => {
    const created = await createClient(t, admin.accessToken, CONFIDENTIAL);
    const res = await t
      .http()
      .patch(`/v1/oauth/clients/${created.id}`)
      .set(bearer(owner.accessToken))
      .send({ name: 'Renamed', skipConsent: true, scopes: ['openid'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Renamed', skipConsent: true, scopes: ['openid'] });
    for (const body of [{ type: 'public' }, { redirectUris: [] }, { clientSecret: 'x' }]) {
      const refused = await t
        .http()
        .patch(`/v1/oauth/clients/${created.id}`)
        .set(bearer(owner.accessToken))
        .send(body);
      expect(refused.status).toBe(400);
    }
  });

  it('rotating the secret: 200 with a new one; the old one and tokens issued before stop working', async () => {
    const created = await createClient(t, admin.accessToken, CONFIDENTIAL);
    const before = await clientCredentials(created.clientId, created.clientSecret ?? '');
    expect(before.status).toBe(200);
    expect(before.headers['cache-control']).toContain('no-store');
    // The rotation cut-off has a one-second resolution (`iat`); step past the current second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rotated = await t
      .http()
      .post(`/v1/oauth/clients/${created.id}/secret`)
      .set(bearer(admin.accessToken));
    expect(rotated.status).toBe(200);
    expect(rotated.body.clientSecret).toMatch(/^[\w-]{43}$/);
    expect(rotated.body.clientSecret).not.toBe(created.clientSecret);
    expect((await clientCredentials(created.clientId, created.clientSecret ?? '')).status).toBe(
      401,
    );
    const after = await clientCredentials(created.clientId, rotated.body.clientSecret);
    expect(after.status).toBe(200);
    const meBefore = await t.http().get('/v1/oauth/clients').set(bearer(before.body.access_token));
    expect(meBefore.status).toBe(401);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id: created.id });
    expect(events.map((event) => event.action)).toEqual(
      expect.arrayContaining(['oauth.client.secret_rotated', 'oauth.token.issued']),
    );
  });

  it('deleting a client: 204, then 404, and its tokens stop working', async () => {
    const created = await createClient(t, admin.accessToken, CONFIDENTIAL);
    const issued = await clientCredentials(created.clientId, created.clientSecret ?? '');
    expect(issued.status).toBe(200);
    const accepted = await t.http().get('/v1/auth/me').set(bearer(issued.body.access_token));
    expect(accepted.status).toBe(403);
    const res = await t
      .http()
      .delete(`/v1/oauth/clients/${created.id}`)
      .set(bearer(admin.accessToken));
    expect(res.status).toBe(204);
    expect(
      (await t.http().get(`/v1/oauth/clients/${created.id}`).set(bearer(admin.accessToken))).status,
    ).toBe(404);
    expect((await t.http().get('/v1/auth/me').set(bearer(issued.body.access_token))).status).toBe(
      401,
    );
    expect((await clientCredentials(created.clientId, created.clientSecret ?? '')).status).toBe(
      401,
    );
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'target_id = :id', { id: created.id });
    expect(events.map((event) => event.action)).toContain('oauth.client.deleted');
  });

  it('a client-credentials token acts with its roles, cut down by its scopes', async () => {
    const dataSource = t.app.get(DataSource);
    const adminRole = await dataSource
      .getRepository(Role)
      .findOneOrFail({ where: { tenantId: tenant.id, name: 'admin' } });
    const created = await createClient(t, admin.accessToken, {
      ...CONFIDENTIAL,
      roleIds: [adminRole.id],
      scopes: ['users:read', 'users:write'],
    });
    const issued = await clientCredentials(created.clientId, created.clientSecret ?? '');
    expect(issued.status).toBe(200);
    expect(issued.body.scope).toBe('users:read');
    // The admin role manages OAuth clients, but no scope covers them: an OAuth token never
    // manages clients.
    const res = await t.http().get('/v1/oauth/clients').set(bearer(issued.body.access_token));
    expect(res.status).toBe(403);
    const noScope = await t
      .http()
      .post('/oidc/token')
      .auth(created.clientId, created.clientSecret ?? '')
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(noScope.body.scope).toBe('users:read users:write');
  });
});
