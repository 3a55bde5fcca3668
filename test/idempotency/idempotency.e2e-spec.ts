import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyKeyStore } from '../../src/idempotency/idempotency-key.store';
import { IdempotencyInterceptor } from '../../src/idempotency/idempotency.interceptor';
import { STRONG_PASSWORD, uniqueEmail } from '../factories';
import {
  type Actor,
  createApiKey,
  createMember,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ROOT_TENANT,
  createTestApp,
  type TestApp,
} from '../support/app';
import type { TestDatabase } from '../support/database';
import { createSharedDatabase } from '../support/shared-database';
import { selectRows, updateRow } from '../support/sql';

const MINUTE = 60_000;

const CONFIDENTIAL_CLIENT = {
  name: 'Acme dashboard',
  type: 'confidential',
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code', 'client_credentials'],
  scopes: ['openid', 'users:read'],
};

/**
 * Of answers to one key sent at once: exactly one ran (201, not replayed); each other one got
 * its answer again or was told the key is in use. Answers the one that ran.
 */
function expectCreatedOnce(answers: Response[]): { id: string } {
  const ran = answers.filter(
    (res) => res.status === 201 && res.headers['idempotent-replayed'] === undefined,
  );
  expect(ran).toHaveLength(1);
  const first = ran[0].body as { id: string };
  for (const res of answers) {
    if (res === ran[0]) continue;
    if (res.status === 409) {
      // The key is in use, not the email: the second request never ran.
      expect(res.body).toMatchObject({
        code: 'conflict',
        detail: expect.stringMatching(/Idempotency-Key/),
      });
      expect(res.headers['retry-after']).toBe('1');
    } else {
      expect(res.status).toBe(201);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.body.id).toBe(first.id);
    }
  }
  return first;
}

describe('Idempotency-Key on authenticated POSTs', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let admin: Actor;
  let other: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenantWithOwner(t, await platformAdmin(t));
    admin = await createMember(t, tenant, ['admin']);
    other = await createMember(t, tenant, ['admin']);
  });
  afterAll(() => t.close());

  const post = (path: string, by: Actor, key: string | null, body: object = {}) => {
    const req = t.http().post(path).set(by.headers);
    if (key !== null) req.set('Idempotency-Key', key);
    return req.send(body);
  };
  const projectsNamed = async (name: string) =>
    selectRows(t, 'projects', 'tenant_id = :tenant AND name = :name', { tenant: tenant.id, name });
  const keyRows = (key: string) =>
    selectRows(t, 'idempotency_keys', 'idempotency_key = :key', { key });
  /** Moves a key's first request into the past, as the database would see it later. */
  const age = async (key: string, ms: number) => {
    const [row] = await keyRows(key);
    await updateRow(t, 'idempotency_keys', String(row.id), {
      createdAt: new Date(Date.now() - ms),
    });
  };

  it('a retry answers the first answer with Idempotent-Replayed: true, and creates once', async () => {
    const key = randomUUID();
    const name = `once-${key}`;
    const first = await post('/v1/projects', admin, key, { name, description: 'd' });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    // The same body in another key order is the same request.
    const retry = await post('/v1/projects', admin, key, { description: 'd', name });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.text).toBe(first.text);
    expect(retry.headers['content-type']).toMatch(/^application\/json/);
    expect(await projectsNamed(name)).toHaveLength(1);

    // Without the header, the same body creates again: nothing changes for clients that do not ask.
    const plain = await post('/v1/projects', admin, null, { name, description: 'd' });
    expect(plain.status).toBe(201);
    expect(plain.body.id).not.toBe(first.body.id);
    expect(await projectsNamed(name)).toHaveLength(2);
  });

  it('the same key with another body answers 422 idempotency_key_reused and changes nothing', async () => {
    const key = randomUUID();
    expect((await post('/v1/projects', admin, key, { name: `a-${key}` })).status).toBe(201);
    const reused = await post('/v1/projects', admin, key, { name: `b-${key}` });
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.body).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(await projectsNamed(`b-${key}`)).toHaveLength(0);
  });

  it('keys are per caller and per route: another user, or another route, is independent', async () => {
    const key = randomUUID();
    const name = `shared-${key}`;
    const mine = await post('/v1/projects', admin, key, { name });
    const theirs = await post('/v1/projects', other, key, { name });
    expect(theirs.status).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await projectsNamed(name)).toHaveLength(2);

    // An API key is a caller of its own, apart from the user who made it.
    const apiKey = await createApiKey(t, admin);
    const viaKey = await t
      .http()
      .post('/v1/projects')
      .set(apiKey.headers)
      .set('Idempotency-Key', key)
      .send({ name });
    expect(viaKey.status).toBe(201);
    expect(viaKey.headers['idempotent-replayed']).toBeUndefined();
    expect(await projectsNamed(name)).toHaveLength(3);

    const role = await post('/v1/roles', admin, key, {
      name: `r${key.slice(0, 8)}`,
      permissions: [{ action: 'read', subject: 'Project' }],
    });
    expect(role.status).toBe(201);
    expect(role.headers['idempotent-replayed']).toBeUndefined();
    expect(await keyRows(key)).toHaveLength(4);
  });

  it('one key on two concrete paths of one route (two clients’ secrets) is a reuse, not a replay', async () => {
    const a = await post('/v1/oauth/clients', admin, null, CONFIDENTIAL_CLIENT);
    const b = await post('/v1/oauth/clients', admin, null, CONFIDENTIAL_CLIENT);
    const key = randomUUID();
    const rotated = await post(`/v1/oauth/clients/${a.body.id}/secret`, admin, key);
    expect(rotated.status).toBe(200);
    const again = await post(`/v1/oauth/clients/${a.body.id}/secret`, admin, key);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.clientSecret).toBe(rotated.body.clientSecret);
    const elsewhere = await post(`/v1/oauth/clients/${b.body.id}/secret`, admin, key);
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.code).toBe('idempotency_key_reused');
  });

  it('a one-time secret is replayed, sealed, for 10 minutes; then the replay withholds it', async () => {
    const key = randomUUID();
    const name = `ci-${key}`;
    const first = await post('/v1/api-keys', admin, key, { name });
    expect(first.status).toBe(201);
    const secret: string = first.body.key;
    expect(secret).toMatch(/^gat_/);

    const [row] = await keyRows(key);
    // At rest the secret exists only sealed: not in the stored body, not in clear anywhere.
    expect(JSON.stringify(row)).not.toContain(secret.slice(-20));
    expect(JSON.parse(String(row.response_body))).not.toHaveProperty('key');
    expect(row.sealed_response).toMatch(/^v2\./);

    await age(key, 9 * MINUTE);
    const within = await post('/v1/api-keys', admin, key, { name });
    expect(within.status).toBe(201);
    expect(within.headers['idempotent-replayed']).toBe('true');
    expect(within.headers['idempotent-secret-withheld']).toBeUndefined();
    expect(within.text).toBe(first.text);

    await age(key, 11 * MINUTE);
    const after = await post('/v1/api-keys', admin, key, { name });
    expect(after.status).toBe(201);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.headers['idempotent-secret-withheld']).toBe('key');
    const { key: _withheld, ...rest } = first.body as Record<string, unknown>;
    expect(after.body).toEqual(rest);
    expect(after.body).not.toHaveProperty('key');
    // The minutely purge then erases the sealed copy; the rest of the answer stays for the day.
    await t.app.get(IdempotencyKeyStore).purgeExpired();
    const [purged] = await keyRows(key);
    expect(purged.sealed_response).toBeNull();
    expect(purged.response_body).toBe(row.response_body);

    // One key was made, and it still works: the replays made none.
    const made = await selectRows(t, 'api_keys', 'name = :name', { name });
    expect(made).toHaveLength(1);
    expect((await t.http().get('/v1/projects').set('X-API-Key', secret)).status).toBe(200);
  });

  it('a key lives 24 hours: after that the same request runs again', async () => {
    const key = randomUUID();
    const name = `day-${key}`;
    expect((await post('/v1/projects', admin, key, { name })).status).toBe(201);
    await age(key, 23 * 60 * MINUTE);
    expect((await post('/v1/projects', admin, key, { name })).headers['idempotent-replayed']).toBe(
      'true',
    );
    await age(key, 24 * 60 * MINUTE + MINUTE);
    const later = await post('/v1/projects', admin, key, { name });
    expect(later.status).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(await projectsNamed(name)).toHaveLength(2);
    expect(await keyRows(key)).toHaveLength(1);
  });

  it('an answer that is all secret (TOTP enrollment) is replayed whole, then withheld whole', async () => {
    const key = randomUUID();
    const enroll = () => post('/v1/auth/mfa/totp/enroll', admin, key);
    const first = await enroll();
    expect(first.status).toBe(200);
    expect(first.body.secret).toEqual(expect.any(String));
    const within = await enroll();
    expect(within.headers['idempotent-replayed']).toBe('true');
    expect(within.body).toEqual(first.body);
    await age(key, 11 * MINUTE);
    const after = await enroll();
    expect(after.status).toBe(200);
    expect(after.headers['idempotent-secret-withheld']).toBe('secret, otpauthUri, qrCodeDataUrl');
    expect(after.body).toEqual({});
  });

  it('a key left in progress by a request that died is taken over after a minute', async () => {
    const key = randomUUID();
    const name = `orphan-${key}`;
    expect((await post('/v1/projects', admin, key, { name })).status).toBe(201);
    // As if the instance had died between claiming the key and keeping the answer.
    const [row] = await keyRows(key);
    await updateRow(t, 'idempotency_keys', String(row.id), {
      responseStatus: null,
      createdAt: new Date(Date.now() - 30_000),
    });
    const waiting = await post('/v1/projects', admin, key, { name });
    expect(waiting.status).toBe(409);
    expect(waiting.body.code).toBe('conflict');
    await age(key, 61_000);
    const takenOver = await post('/v1/projects', admin, key, { name });
    expect(takenOver.status).toBe(201);
    expect(takenOver.headers['idempotent-replayed']).toBeUndefined();
    expect(await projectsNamed(name)).toHaveLength(2);
  });

  it('a concurrent double submit creates once: the others replay or answer 409 conflict', async () => {
    // Creating a user with a password hashes it (argon2, tens of milliseconds): the requests
    // overlap the first one's work, which is what a double submit does.
    const key = randomUUID();
    const email = uniqueEmail('race');
    const body = { email, password: STRONG_PASSWORD };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post('/v1/users', admin, key, body)),
    );
    const created = expectCreatedOnce(answers);
    expect(await selectRows(t, 'users', 'email = :email', { email })).toHaveLength(1);
    // Once the first is done, a retry gets its answer.
    const retry = await post('/v1/users', admin, key, body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(created.id);
  });

  it('only 2xx answers are kept: a failed create frees the key for the retry', async () => {
    const key = randomUUID();
    const refused = await post('/v1/projects', admin, key, { name: '' });
    expect(refused.status).toBe(400);
    expect(await keyRows(key)).toHaveLength(0);

    const roleName = `dup${key.slice(0, 8)}`;
    const body = { name: roleName, permissions: [{ action: 'read', subject: 'Project' }] };
    const existing = await post('/v1/roles', admin, null, body);
    expect(existing.status).toBe(201);
    expect((await post('/v1/roles', admin, key, body)).status).toBe(409);
    expect(await keyRows(key)).toHaveLength(0);
    expect((await t.http().delete(`/v1/roles/${existing.body.id}`).set(admin.headers)).status).toBe(
      204,
    );
    const created = await post('/v1/roles', admin, key, body);
    expect(created.status).toBe(201);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['longer than 255', 'k'.repeat(256)],
    ['with a space', 'two words'],
    ['not ASCII', 'cl\u00e9'],
  ])('a key %s answers 400 validation_failed before anything runs', async (_, key) => {
    const name = `bad-key-${randomUUID()}`;
    const res = await post('/v1/projects', admin, key, { name });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
    expect(await projectsNamed(name)).toHaveLength(0);
  });

  it('public POSTs ignore the header: a login is never replayed, and no key is kept', async () => {
    const key = randomUUID();
    const login = () =>
      t
        .http()
        .post('/v1/auth/login')
        .set('Idempotency-Key', key)
        .send({ tenant: ROOT_TENANT, email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const first = await login();
    const second = await login();
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    // Even a malformed key: the route does not take one.
    const malformed = await t
      .http()
      .post('/v1/auth/login')
      .set('Idempotency-Key', '')
      .send({ tenant: tenant.slug, email: admin.email, password: STRONG_PASSWORD });
    expect(malformed.status).toBe(200);
    expect(await keyRows(key)).toHaveLength(0);
  });

  it('the OpenAPI document offers the header (and 422) on exactly the routes that honour it', async () => {
    const doc = (await t.http().get('/docs-json')).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string }[];
            responses: Record<string, { description: string }>;
            security?: unknown[];
          }
        >
      >;
    };
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const operation = item.post;
      if (!operation) continue;
      const offers = (operation.parameters ?? []).some((p) => p.name === 'Idempotency-Key');
      expect(offers, path).toBe((operation.security ?? []).length > 0);
      if (!offers) continue;
      documented.push(path);
      expect(operation.responses['422']?.description, path).toContain('idempotency_key_reused');
      expect(operation.responses['409']?.description, path).toContain('Idempotency-Key');
    }
    expect(documented).toContain('/v1/api-keys');
    expect(documented).not.toContain('/v1/auth/login');

    // The interceptor sits on the same routes: none documented without it, none bound unsaid.
    const discovery = new DiscoveryService(t.app.get(ModulesContainer));
    const bound: string[] = [];
    for (const wrapper of discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      const base = String(Reflect.getMetadata(PATH_METADATA, wrapper.metatype!) ?? '');
      for (const name of new MetadataScanner().getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ??
          []) as unknown[];
        if (!interceptors.includes(IdempotencyInterceptor)) continue;
        expect(Reflect.getMetadata(METHOD_METADATA, handler)).toBe(1); // RequestMethod.POST
        const path = String(Reflect.getMetadata(PATH_METADATA, handler));
        bound.push(
          `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/:(\w+)/g, '{$1}'),
        );
      }
    }
    expect(bound.sort()).toEqual(documented.sort());
  });
});

describe('Idempotency-Key across instances', () => {
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let admin: Actor;

  beforeAll(async () => {
    database = await createSharedDatabase();
    one = await createTestApp({ database });
    two = await createTestApp({ database });
    const tenant = await createTenantWithOwner(one, await platformAdmin(one));
    admin = await createMember(one, tenant, ['admin']);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
  });

  it('a double submit spread over two instances creates once; either instance replays', async () => {
    const key = randomUUID();
    const email = uniqueEmail('spread');
    const send = (app: TestApp) =>
      app
        .http()
        .post('/v1/users')
        .set(admin.headers)
        .set('Idempotency-Key', key)
        .send({ email, password: STRONG_PASSWORD });
    const created = expectCreatedOnce(
      await Promise.all([send(one), send(two), send(one), send(two)]),
    );
    for (const app of [one, two]) {
      const retry = await send(app);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body.id).toBe(created.id);
    }
    expect(await selectRows(one, 'users', 'email = :email', { email })).toHaveLength(1);
  });
});
