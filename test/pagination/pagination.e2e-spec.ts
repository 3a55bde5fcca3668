import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../../src/projects/entities/project.entity';
import { bearer, login } from '../factories';
import {
  type Actor,
  createApiKey,
  createMember,
  createProject,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';

interface Item {
  id: string;
}

const cursorOf = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * The one pagination every list shares (issue 25): `limit` 1–100, one opaque cursor, a stable
 * order by `(createdAt, id)` and `order=asc|desc`.
 */
describe('one pagination for every list', () => {
  let t: TestApp;
  let platform: Actor;
  let tenant: TenantFixture;
  /** Every list, and who reads it. */
  let lists: { path: string; actor: () => Actor; defaultOrder: 'asc' | 'desc' }[];

  beforeAll(async () => {
    t = await createTestApp();
    platform = await platformAdmin(t);
    tenant = await createTenantWithOwner(t, platform);
    const owner = tenant.owner;
    for (let i = 0; i < 3; i++) {
      await createMember(t, tenant);
      await createRole(t, tenant, `reader-${i}`, [{ action: 'read', subject: 'Project' }]);
      await createApiKey(t, owner, { name: `key ${i}` });
      await createProject(t, owner, `project ${i}`);
      await login(t, tenant.slug, owner.email);
      const client = await t
        .http()
        .post('/v1/oauth/clients')
        .set(owner.headers)
        .send({
          name: `client ${i}`,
          type: 'confidential',
          redirectUris: ['https://app.example.com/callback'],
          grantTypes: ['authorization_code'],
          scopes: ['openid'],
        });
      expect(client.status, JSON.stringify(client.body)).toBe(201);
      const connection = await t
        .http()
        .post('/v1/sso/connections')
        .set(owner.headers)
        .send({
          type: 'oidc',
          name: `idp ${i}`,
          domains: [],
          oidc: { issuer: 'https://login.corp.example', clientId: 'a', clientSecret: 'b' },
        });
      expect(connection.status, JSON.stringify(connection.body)).toBe(201);
    }
    await t.flushAudit();
    const byOwner = () => tenant.owner;
    lists = [
      { path: '/v1/users', actor: byOwner, defaultOrder: 'asc' },
      { path: '/v1/roles', actor: byOwner, defaultOrder: 'asc' },
      { path: '/v1/api-keys', actor: byOwner, defaultOrder: 'asc' },
      { path: '/v1/projects', actor: byOwner, defaultOrder: 'asc' },
      { path: '/v1/oauth/clients', actor: byOwner, defaultOrder: 'asc' },
      { path: '/v1/sso/connections', actor: byOwner, defaultOrder: 'asc' },
      { path: '/v1/tenants', actor: () => platform, defaultOrder: 'asc' },
      { path: '/v1/auth/identities', actor: byOwner, defaultOrder: 'asc' },
      { path: '/v1/auth/sessions', actor: byOwner, defaultOrder: 'desc' },
      { path: '/v1/auth/grants', actor: byOwner, defaultOrder: 'desc' },
      { path: '/v1/audit-events', actor: byOwner, defaultOrder: 'desc' },
    ];
  });
  afterAll(() => t.close());

  async function page(
    path: string,
    actor: Actor,
    query: Record<string, string | string[]>,
  ): Promise<{ status: number; body: { items: Item[]; nextCursor: string | null } }> {
    const res = await t.http().get(path).query(query).set(actor.headers);
    return { status: res.status, body: res.body as { items: Item[]; nextCursor: string | null } };
  }

  /** Every id of a list, following `nextCursor` page by page. */
  async function walk(
    path: string,
    actor: Actor,
    query: Record<string, string> = {},
  ): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await page(path, actor, { ...query, ...(cursor ? { cursor } : {}) });
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(200);
      pages.push(res.body.items.map((item) => item.id));
      cursor = res.body.nextCursor;
      expect(pages.length).toBeLessThan(200);
    } while (cursor);
    // The audit log in ascending order ends with an empty page (see the tailing spec).
    if (pages.length > 1 && pages.at(-1)!.length === 0) pages.pop();
    return pages;
  }

  it('every list pages asc and desc through the same rows, each once, limit at a time', async () => {
    for (const { path, actor, defaultOrder } of lists) {
      const whole = await walk(path, actor(), { limit: '100', order: 'asc' });
      expect(whole, path).toHaveLength(1);
      const all = whole[0];
      const asc = await walk(path, actor(), { limit: '2', order: 'asc' });
      const desc = await walk(path, actor(), { limit: '2', order: 'desc' });
      expect(asc.flat(), path).toEqual(all);
      expect(desc.flat(), path).toEqual([...all].reverse());
      expect(new Set(all).size, path).toBe(all.length);
      for (const pages of [asc, desc]) {
        pages.slice(0, -1).forEach((ids) => expect(ids, path).toHaveLength(2));
      }
      // Without `order`, the list's documented default.
      const plain = await walk(path, actor(), { limit: '100' });
      expect(plain.flat(), path).toEqual(defaultOrder === 'asc' ? all : [...all].reverse());
    }
  });

  it('rows created in the same millisecond page in (createdAt, id) order, asc and desc, each once', async () => {
    const base = Date.UTC(2030, 0, 1, 12, 0, 0, 500);
    // Five share one millisecond; their neighbours differ by one millisecond only, and carry
    // ids that sort the other way, so any other order (id alone, seconds) shows.
    const stamps = [base, base, base, base, base, base - 1, base - 1, base + 1, base + 1, base + 1];
    const rows = stamps.map((ms, i) =>
      Object.assign(new Project(), {
        id: ms === base ? randomUUID() : `${ms < base ? 'f' : '0'}${randomUUID().slice(1)}`,
        tenantId: tenant.id,
        ownerId: tenant.owner.userId,
        name: `same-ms ${i}`,
        description: '',
        createdAt: new Date(ms),
        updatedAt: new Date(ms),
      }),
    );
    await t.app.get(DataSource).getRepository(Project).insert(rows);
    const expected = [...rows]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
      .map((row) => row.id);

    for (const limit of ['1', '2', '3', '4']) {
      const asc = (await walk('/v1/projects', tenant.owner, { limit, order: 'asc' })).flat();
      const desc = (await walk('/v1/projects', tenant.owner, { limit, order: 'desc' })).flat();
      expect(
        asc.filter((id) => expected.includes(id)),
        `asc, limit ${limit}`,
      ).toEqual(expected);
      expect(
        desc.filter((id) => expected.includes(id)),
        `desc, limit ${limit}`,
      ).toEqual([...expected].reverse());
      expect(new Set(asc).size).toBe(asc.length);
      expect(desc).toEqual([...asc].reverse());
    }
  });

  it('a cursor goes on from its position in either order', async () => {
    const all = (await walk('/v1/roles', tenant.owner, { limit: '100', order: 'asc' })).flat();
    const first = await page('/v1/roles', tenant.owner, { limit: '3', order: 'asc' });
    const cursor = first.body.nextCursor!;
    const after = await page('/v1/roles', tenant.owner, { limit: '100', order: 'asc', cursor });
    const before = await page('/v1/roles', tenant.owner, { limit: '100', order: 'desc', cursor });
    expect(after.body.items.map((item) => item.id)).toEqual(all.slice(3));
    expect(before.body.items.map((item) => item.id)).toEqual(all.slice(0, 2).reverse());
  });

  it('audit events take `after` as the name of the cursor, not both; a bad one is named', async () => {
    const first = await page('/v1/audit-events', tenant.owner, { limit: '2', order: 'asc' });
    const cursor = first.body.nextCursor!;
    const byCursor = await page('/v1/audit-events', tenant.owner, { order: 'asc', cursor });
    const byAfter = await page('/v1/audit-events', tenant.owner, { order: 'asc', after: cursor });
    expect(byAfter.status).toBe(200);
    expect(byAfter.body).toEqual(byCursor.body);
    for (const [query, field] of [
      [{ after: cursor, cursor }, 'after'],
      [{ after: 'not a cursor' }, 'after'],
      [{ after: cursorOf([1, 'not-a-uuid']) }, 'after'],
    ] as const) {
      const res = await t.http().get('/v1/audit-events').query(query).set(tenant.owner.headers);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.errors, JSON.stringify(query)).toEqual([
        { field, message: expect.any(String) },
      ]);
    }
  });

  it('refuses a bad limit, cursor or order on every list: 400 validation_failed naming it', async () => {
    const uuid = '01890a5d-ac96-774b-bcce-b302099a8057';
    const cases: [Record<string, string | string[]>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: '1.5' }, 'limit'],
      [{ limit: '1e1' }, 'limit'],
      [{ limit: '0x10' }, 'limit'],
      [{ limit: '-1' }, 'limit'],
      [{ limit: '' }, 'limit'],
      [{ limit: ['1', '2'] }, 'limit'],
      [{ order: 'ASC' }, 'order'],
      [{ order: 'newest' }, 'order'],
      [{ order: '' }, 'order'],
      [{ order: ['asc', 'desc'] }, 'order'],
      [{ cursor: 'not a cursor' }, 'cursor'],
      [{ cursor: '' }, 'cursor'],
      [{ cursor: uuid }, 'cursor'],
      [{ cursor: ['a', 'b'] }, 'cursor'],
      [{ cursor: 'x'.repeat(201) }, 'cursor'],
      [{ cursor: Buffer.from("x' OR 1=1").toString('base64url') }, 'cursor'],
      [{ cursor: cursorOf({ key: 1, id: uuid }) }, 'cursor'],
      [{ cursor: cursorOf([1]) }, 'cursor'],
      [{ cursor: cursorOf([1, uuid, 2]) }, 'cursor'],
      [{ cursor: cursorOf(['1', uuid]) }, 'cursor'],
      [{ cursor: cursorOf([-1, uuid]) }, 'cursor'],
      [{ cursor: cursorOf([1.5, uuid]) }, 'cursor'],
      [{ cursor: cursorOf([2 ** 53, uuid]) }, 'cursor'],
      [{ cursor: cursorOf([1, "x' OR 1=1"]) }, 'cursor'],
      [{ cursor: cursorOf([1, 'a'.repeat(65)]) }, 'cursor'],
      // Another spelling of a valid cursor (padding, spaces) is not one this API gave out.
      [{ cursor: `${cursorOf([1, uuid])}=` }, 'cursor'],
      [{ cursor: Buffer.from(`[1, "${uuid}"]`).toString('base64url') }, 'cursor'],
    ];
    for (const { path, actor } of lists) {
      for (const [query, field] of cases) {
        const res = await t.http().get(path).query(query).set(actor().headers);
        const label = `${path} ${JSON.stringify(query)}`;
        expect(res.status, label).toBe(400);
        expect(res.headers['content-type'], label).toContain('application/problem+json');
        expect(res.body.code, label).toBe('validation_failed');
        expect(
          (res.body.errors as { field: string }[]).map((error) => error.field),
          label,
        ).toContain(field);
      }
    }
  });

  it('a well-formed cursor that cannot be a position of the list is refused, never a 5xx', async () => {
    // Not a UUID, where the list's ids are UUIDs (PostgreSQL would refuse to compare it).
    const grantLike = cursorOf([Date.now(), 'mKUmAbIUGJ3ztSDD4HxPVVBawBHhwUGgRPYtO6s3vpv']);
    for (const path of ['/v1/users', '/v1/projects', '/v1/audit-events', '/v1/auth/sessions']) {
      const res = await page(path, tenant.owner, { cursor: grantLike });
      expect(res.status, path).toBe(400);
    }
    // A date past the calendar's end, and an audit position past a 32-bit integer.
    const uuid = '01890a5d-ac96-774b-bcce-b302099a8057';
    for (const [path, key] of [
      ['/v1/users', 8.64e15 + 1],
      ['/v1/audit-events', 2 ** 31],
    ] as const) {
      const res = await page(path, tenant.owner, { cursor: cursorOf([key, uuid]) });
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed' });
    }
    // A grant id is a position of the grants list.
    const own = await page('/v1/auth/grants', tenant.owner, { cursor: grantLike });
    expect(own.status).toBe(200);
    // The extreme positions of each list are fine: nothing before the start, nothing after.
    for (const { path, actor } of lists) {
      const last = path === '/v1/audit-events' ? 2 ** 31 - 1 : 8.64e15;
      for (const [order, key] of [
        ['asc', last],
        ['desc', 0],
      ] as const) {
        const res = await page(path, actor(), { order, cursor: cursorOf([key, uuid]) });
        expect(res.status, `${path} ${order}`).toBe(200);
        expect(res.body, `${path} ${order}`).toEqual({ items: [], nextCursor: null });
      }
    }
    expect((await t.http().get('/v1/auth/me').set(bearer(tenant.owner.token))).status).toBe(200);
  });
});
