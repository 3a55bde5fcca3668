import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRINCIPAL_CACHE_TTL_MS } from '../../src/auth/principal/principal.service';
import { bearer, STRONG_PASSWORD } from '../factories';
import {
  type Actor,
  createApiKey,
  createMember,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';
import type { TestDatabase } from '../support/database';
import { PrivateRedis } from '../support/redis';
import { createSharedDatabase } from '../support/shared-database';

/** Polls until `check` holds, for at most `withinMs` (the bound the SPEC sets), and says if it did. */
async function holdsWithin(withinMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Two instances share one database and one Redis. Changes made through one instance reach the
 * other's caches within 10 s, without a new login: roles are not in the token.
 */
describe('permission changes across instances', () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let one: TestApp;
  let two: TestApp;
  let tenant: TenantFixture;

  beforeAll(async () => {
    database = await createSharedDatabase();
    redis = await PrivateRedis.start();
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'propagation:' };
    one = await createTestApp({ database, env });
    two = await createTestApp({ database, env });
    tenant = await createTenantWithOwner(one, await platformAdmin(one));
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await redis?.stop();
    await database?.drop();
  });

  const statusOn = async (t: TestApp, path: string, headers: Record<string, string>) =>
    (await t.http().get(path).set(headers)).status;

  it('a role change', async () => {
    const roleId = await createRole(one, tenant, 'viewer', [
      { action: 'read', subject: 'Project' },
    ]);
    const user: Actor = await createMember(one, tenant, ['viewer']);
    expect(await statusOn(two, '/v1/projects', user.headers)).toBe(200);
    expect(await statusOn(two, '/v1/users', user.headers)).toBe(403);
    await one
      .http()
      .patch(`/v1/roles/${roleId}`)
      .set(tenant.owner.headers)
      .send({ permissions: [{ action: 'read', subject: 'User' }] })
      .expect(200);
    // Sooner than the caches' own TTL: the change travelled over Redis pub/sub.
    expect(
      await holdsWithin(
        PRINCIPAL_CACHE_TTL_MS - 1000,
        async () => (await statusOn(two, '/v1/users', user.headers)) === 200,
      ),
    ).toBe(true);
    expect(await statusOn(two, '/v1/projects', user.headers)).toBe(403);
  });

  it('a user disabled', async () => {
    const user = await createMember(one, tenant);
    expect(await statusOn(two, '/v1/auth/me', user.headers)).toBe(200);
    await one
      .http()
      .patch(`/v1/users/${user.userId}`)
      .set(tenant.owner.headers)
      .send({ status: 'disabled' })
      .expect(200);
    expect(
      await holdsWithin(
        10_000,
        async () => (await statusOn(two, '/v1/auth/me', user.headers)) === 401,
      ),
    ).toBe(true);
  });

  it("an API key's creator demoted", async () => {
    const creator = await createMember(one, tenant, ['admin']);
    const key = await createApiKey(one, creator);
    expect(await statusOn(two, '/v1/roles', key.headers)).toBe(200);
    await one
      .http()
      .put(`/v1/users/${creator.userId}/roles`)
      .set(tenant.owner.headers)
      .send({ roleIds: [tenant.roles.member] })
      .expect(200);
    expect(
      await holdsWithin(
        10_000,
        async () => (await statusOn(two, '/v1/roles', key.headers)) === 403,
      ),
    ).toBe(true);
  });

  it('a session revoked by logout-all', async () => {
    const user = await createMember(one, tenant);
    const other = await two
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email: user.email, password: STRONG_PASSWORD });
    expect(await statusOn(two, '/v1/auth/me', bearer(other.body.accessToken))).toBe(200);
    await one.http().post('/v1/auth/logout-all').set(user.headers).expect(204);
    expect(
      await holdsWithin(
        10_000,
        async () => (await statusOn(two, '/v1/auth/me', bearer(other.body.accessToken))) === 401,
      ),
    ).toBe(true);
  });
});
