import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/api-keys/entities/api-key.entity';
import { Project } from '../../src/projects/entities/project.entity';
import {
  type Actor,
  createMember,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';

const ROWS = 250;

/** Every page of a list, following `nextCursor` until it is null. */
async function pages(t: TestApp, path: string, actor: Actor, limit: number): Promise<string[][]> {
  const seen: string[][] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await t.http().get(`${path}${query}`).set(actor.headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    seen.push(res.body.items.map((item: { id: string }) => item.id));
    cursor = res.body.nextCursor as string | null;
    expect(seen.length).toBeLessThan(ROWS);
  } while (cursor);
  return seen;
}

/** Exactly the permitted ids, in id order, every page full but the last, none twice. */
function expectExactPaging(seen: string[][], permitted: string[], limit: number): void {
  const all = seen.flat();
  expect(new Set(all).size).toBe(all.length);
  expect(all).toEqual([...permitted].sort());
  seen.slice(0, -1).forEach((page) => expect(page).toHaveLength(limit));
  expect(seen.at(-1)!.length).toBeGreaterThan(0);
  expect(seen.at(-1)!.length).toBeLessThanOrEqual(limit);
}

/**
 * A custom role whose `read` has conditions: the list's WHERE clause carries them, so paging
 * sees exactly the permitted rows (before, rows were filtered after paging: short and empty
 * pages, and a list that stopped early).
 */
describe('lists under conditional read rules', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let other: TenantFixture;
  let reader: Actor;
  let someoneElse: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    const platform = await platformAdmin(t);
    tenant = await createTenantWithOwner(t, platform);
    other = await createTenantWithOwner(t, platform);
    await createRole(t, tenant, 'own-things-reader', [
      { action: 'read', subject: 'Project', conditions: { ownerId: '${user.id}' } },
      { action: 'read', subject: 'Project', conditions: { name: 'shared' } },
      { action: 'read', subject: 'Project', conditions: { name: 'secret' }, inverted: true },
      { action: 'read', subject: 'ApiKey', conditions: { createdById: '${user.id}' } },
    ]);
    reader = await createMember(t, tenant, ['own-things-reader']);
    someoneElse = await createMember(t, tenant);
  });
  afterAll(() => t.close());

  it('projects: pages hold exactly the permitted ones, never another tenant’s', async () => {
    const now = new Date();
    const rows: Project[] = [];
    const permitted: string[] = [];
    for (let i = 0; i < ROWS; i += 1) {
      // Owned by the reader (every 3rd), named "shared" (every 7th), a few of those "secret".
      const owner = i % 3 === 0 ? reader.userId : someoneElse.userId;
      const name = i % 11 === 0 ? 'secret' : i % 7 === 0 ? 'shared' : `project ${i}`;
      const id = uuidv7();
      rows.push(
        Object.assign(new Project(), {
          id,
          tenantId: tenant.id,
          ownerId: owner,
          name,
          description: '',
          createdAt: now,
          updatedAt: now,
        }),
      );
      if (name !== 'secret' && (owner === reader.userId || name === 'shared')) permitted.push(id);
      // Rows of another tenant that the conditions alone would match.
      if (i % 5 === 0)
        rows.push(
          Object.assign(new Project(), {
            id: uuidv7(),
            tenantId: other.id,
            ownerId: reader.userId,
            name: 'shared',
            description: '',
            createdAt: now,
            updatedAt: now,
          }),
        );
    }
    await t.app.get(DataSource).getRepository(Project).insert(rows);
    expect(permitted.length).toBeGreaterThan(60);

    const seen = await pages(t, '/v1/projects', reader, 20);
    expectExactPaging(seen, permitted, 20);
    // The object check agrees with the list: an unlisted row of the tenant is forbidden.
    const hidden = rows.find((row) => row.tenantId === tenant.id && !permitted.includes(row.id))!;
    expect((await t.http().get(`/v1/projects/${hidden.id}`).set(reader.headers)).status).toBe(403);
  });

  it('api keys: pages hold exactly the keys the caller created', async () => {
    const now = new Date();
    const rows: ApiKey[] = [];
    const permitted: string[] = [];
    for (let i = 0; i < ROWS; i += 1) {
      const mine = i % 4 === 1;
      const id = uuidv7();
      rows.push(
        Object.assign(new ApiKey(), {
          id,
          tenantId: i % 9 === 0 ? other.id : tenant.id,
          name: `key ${i}`,
          prefix: randomBytes(6).toString('hex'),
          secretHash: randomBytes(32).toString('hex'),
          createdById: mine || i % 9 === 0 ? reader.userId : someoneElse.userId,
          roleIds: [],
          expiresAt: null,
          revokedAt: null,
          lastUsedAt: null,
          createdAt: now,
        }),
      );
      if (mine && i % 9 !== 0) permitted.push(id);
    }
    await t.app.get(DataSource).getRepository(ApiKey).insert(rows);

    const seen = await pages(t, '/v1/api-keys', reader, 25);
    expectExactPaging(seen, permitted, 25);
  });
});
