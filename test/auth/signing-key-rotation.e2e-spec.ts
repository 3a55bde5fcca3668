import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, register } from '../factories';
import {
  type Actor,
  createMember,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { ROOT_TENANT, type TestApp, createTestApp } from '../support/app';
import { selectRows } from '../support/sql';

const ROTATE = '/v1/platform/signing-keys/rotate';
const keyPath = (kid: string) => `/v1/platform/signing-keys/${encodeURIComponent(kid)}`;

async function publishedKids(t: TestApp, path = '/.well-known/jwks.json'): Promise<string[]> {
  const res = await t.http().get(path);
  expect(res.status).toBe(200);
  return (res.body.keys as { kid: string }[]).map((key) => key.kid);
}

/** The engine's own JWKS (oidc-provider), where relying parties verify ID tokens. */
async function engineKids(t: TestApp): Promise<string[]> {
  const discovery = await t.http().get('/oidc/.well-known/openid-configuration');
  expect(discovery.status).toBe(200);
  return publishedKids(t, new URL(discovery.body.jwks_uri as string).pathname);
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

describe('signing-key rotation and revocation (platform admins)', () => {
  let t: TestApp;
  let platform: Actor;
  let tenant: TenantFixture;
  let rootAdmin: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    platform = await platformAdmin(t);
    tenant = await createTenantWithOwner(t, platform);
    const rootRoles = await t.http().get('/v1/roles?limit=100').set(platform.headers);
    expect(rootRoles.status).toBe(200);
    const root: TenantFixture = {
      id: '',
      slug: ROOT_TENANT,
      owner: platform,
      roles: Object.fromEntries(
        rootRoles.body.items.map((role: { id: string; name: string }) => [role.name, role.id]),
      ),
    };
    rootAdmin = await createMember(t, root, ['admin']);
  });
  afterAll(() => t?.close());

  it('refuses tenant owners and admins, and the root tenant admin (403)', async () => {
    const admin = await createMember(t, tenant, ['admin']);
    const kid = kidOf(platform.token);
    for (const actor of [tenant.owner, admin, rootAdmin]) {
      const rotate = await t.http().post(ROTATE).set(actor.headers);
      expect(rotate.status).toBe(403);
      expect(rotate.body.code).toBe('forbidden');
      const revoke = await t.http().delete(keyPath(kid)).set(actor.headers);
      expect(revoke.status).toBe(403);
    }
    expect(await publishedKids(t)).toContain(kid);
    expect((await t.http().get('/v1/auth/me').set(platform.headers)).status).toBe(200);
  });

  it('rotates: new tokens carry the new kid, tokens of the old one still verify, the JWKS has both', async () => {
    const user = await register(t, tenant.slug);
    const oldKid = kidOf(user.accessToken);

    const res = await t.http().post(ROTATE).set(platform.headers);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(
      ['alg', 'createdAt', 'kid', 'publishUntil', 'retiredAt', 'status'].sort(),
    );
    expect(res.body).toMatchObject({ alg: 'ES256', status: 'active', retiredAt: null });
    const newKid = res.body.kid as string;
    expect(newKid).not.toBe(oldKid);

    const fresh = await login(t, tenant.slug, user.user.email);
    expect(kidOf(fresh.accessToken)).toBe(newKid);
    expect((await t.http().get('/v1/auth/me').set(bearer(user.accessToken))).status).toBe(200);
    expect((await t.http().get('/v1/auth/me').set(bearer(fresh.accessToken))).status).toBe(200);
    expect(await publishedKids(t)).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect(await engineKids(t)).toEqual(expect.arrayContaining([oldKid, newKid]));

    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'action = :action AND target_id = :kid', {
      action: 'platform.signing_key.rotated',
      kid: newKid,
    });
    expect(events).toHaveLength(1);
  });

  it('revokes a compromised retired key: its tokens are refused at once, even cached ones', async () => {
    const victim = await register(t, tenant.slug);
    const stolenKid = kidOf(victim.accessToken);
    // Verified once, so the token sits in the verified-token cache.
    expect((await t.http().get('/v1/auth/me').set(bearer(victim.accessToken))).status).toBe(200);
    const rotated = await t.http().post(ROTATE).set(platform.headers);
    expect(rotated.status).toBe(201);
    const admin = await platformAdmin(t);
    expect(kidOf(admin.token)).toBe(rotated.body.kid);

    const res = await t.http().delete(keyPath(stolenKid)).set(admin.headers);
    expect(res.status).toBe(204);

    const refused = await t.http().get('/v1/auth/me').set(bearer(victim.accessToken));
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    expect(await publishedKids(t)).not.toContain(stolenKid);
    expect(await engineKids(t)).not.toContain(stolenKid);
    expect((await t.http().get('/v1/auth/me').set(admin.headers)).status).toBe(200);

    const again = await t.http().delete(keyPath(stolenKid)).set(admin.headers);
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('not_found');
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'action = :action AND target_id = :kid', {
      action: 'platform.signing_key.retired',
      kid: stolenKid,
    });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toMatch(/"d"|privateJwk|private_jwk/);
  });

  it('revoking the current key makes a new one first: tokens keep being issued, none of the old kid verifies', async () => {
    const admin = await platformAdmin(t);
    const current = kidOf(admin.token);
    const user = await register(t, tenant.slug);
    expect(kidOf(user.accessToken)).toBe(current);

    expect((await t.http().delete(keyPath(current)).set(admin.headers)).status).toBe(204);

    expect((await t.http().get('/v1/auth/me').set(bearer(user.accessToken))).status).toBe(401);
    expect((await t.http().get('/v1/auth/me').set(admin.headers)).status).toBe(401);
    const fresh = await login(t, tenant.slug, user.user.email);
    expect(kidOf(fresh.accessToken)).not.toBe(current);
    expect((await t.http().get('/v1/auth/me').set(bearer(fresh.accessToken))).status).toBe(200);
    const kids = await publishedKids(t);
    expect(kids).toContain(kidOf(fresh.accessToken));
    expect(kids).not.toContain(current);
    expect(await engineKids(t)).not.toContain(current);
  });

  it('answers 404 for an unknown kid, and for one no key could have (a NUL, a slash), never 500', async () => {
    const admin = await platformAdmin(t);
    for (const kid of ['no-such-kid', 'x'.repeat(300), 'abc\u0000def', 'a b', 'k%2Fid']) {
      const res = await t.http().delete(keyPath(kid)).set(admin.headers);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });
});
