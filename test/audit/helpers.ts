import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DataSource } from 'typeorm';
import { InvalidationBus } from '../../src/common/cache/invalidation-bus';
import { createTenant, register } from '../factories';
import type { TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

export interface TenantAdmin {
  tenant: { id: string; slug: string };
  admin: { id: string; accessToken: string; refreshToken: string; email: string };
}

/**
 * Gives a user a built-in role of its tenant straight in the database (the users API is another
 * module's, under test elsewhere) and drops the cached permissions, as that API would.
 */
export async function grantRole(
  t: TestApp,
  tenantId: string,
  userId: string,
  roleName: 'admin' | 'owner',
): Promise<void> {
  const dataSource = t.app.get(DataSource);
  const role = await dataSource
    .createQueryBuilder()
    .select('id')
    .from('roles', 'roles')
    .where('tenant_id = :tenantId AND name = :roleName', { tenantId, roleName })
    .getRawOne<{ id: string }>();
  expect(role).toBeDefined();
  await dataSource
    .createQueryBuilder()
    .insert()
    .into('user_roles', ['user_id', 'role_id'])
    .values({ user_id: userId, role_id: role!.id })
    .execute();
  t.app.get(InvalidationBus).publish('user', userId);
}

/** A fresh tenant with an admin (who may read the audit log), signed in. */
export async function tenantWithAdmin(t: TestApp): Promise<TenantAdmin> {
  const tenant = await createTenant(t);
  const registered = await register(t, tenant.slug);
  await grantRole(t, tenant.id, registered.user.id, 'admin');
  return {
    tenant: { id: tenant.id, slug: tenant.slug },
    admin: {
      id: registered.user.id,
      accessToken: registered.accessToken,
      refreshToken: registered.refreshToken,
      email: registered.user.email,
    },
  };
}

export interface AuditItem {
  id: string;
  at: string;
  tenantId: string | null;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  outcome: 'success' | 'failure';
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  metadata: Record<string, unknown>;
}

/** Every event of the caller's tenant matching `query`, through the API, all pages. */
export async function auditEvents(
  t: TestApp,
  accessToken: string,
  query: Record<string, string> = {},
): Promise<AuditItem[]> {
  await t.flushAudit();
  const items: AuditItem[] = [];
  let cursor: string | null = null;
  do {
    const res = await t
      .http()
      .get('/v1/audit-events')
      .query({ ...query, limit: '100', ...(cursor ? { cursor } : {}) })
      .set('Authorization', `Bearer ${accessToken}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...(res.body.items as AuditItem[]));
    cursor = res.body.nextCursor as string | null;
  } while (cursor);
  return items;
}

/** A database that outlives one app: a fresh PostgreSQL database, or an SQLite file. */
export async function durableDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL?.trim()) return createTestDatabase();
  const path = join(tmpdir(), `gatehouse-audit-${randomBytes(6).toString('hex')}.sqlite`);
  return {
    env: { DATABASE_PATH: path },
    drop: async () => {
      for (const suffix of ['', '-wal', '-shm', '-journal'])
        await rm(`${path}${suffix}`, { force: true });
    },
  };
}
