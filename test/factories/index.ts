import { expect } from 'vitest';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { createBuiltInRoles } from '../../src/roles/built-in-roles';
import {
  DEFAULT_TENANT_SETTINGS,
  Tenant,
  type TenantSettings,
} from '../../src/tenants/entities/tenant.entity';
import type { TestApp } from '../support/app';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

let counter = 0;
export function uniqueSlug(prefix = 't'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${Date.now().toString(36)}.${counter}@example.com`;
}

export const STRONG_PASSWORD = 'a long and unusual passphrase';

/**
 * A tenant with its built-in roles, written straight to the database: the platform's tenant
 * API is itself under test elsewhere, and this keeps unrelated suites independent of it.
 */
export async function createTenant(
  t: TestApp,
  overrides: { slug?: string; plan?: Tenant['plan']; settings?: Partial<TenantSettings> } = {},
): Promise<Tenant> {
  const dataSource = t.app.get(DataSource);
  const now = new Date();
  const tenant = Object.assign(new Tenant(), {
    id: uuidv7(),
    slug: overrides.slug ?? uniqueSlug(),
    name: 'Test tenant',
    plan: overrides.plan ?? 'free',
    status: 'active' as const,
    isRoot: false,
    settings: { ...DEFAULT_TENANT_SETTINGS, ...overrides.settings },
    createdAt: now,
    updatedAt: now,
  });
  await dataSource.transaction(async (manager) => {
    await manager.insert(Tenant, tenant);
    await createBuiltInRoles(manager, tenant.id, false);
  });
  return tenant;
}

export async function register(
  t: TestApp,
  tenant: string,
  email = uniqueEmail(),
  password = STRONG_PASSWORD,
): Promise<TokenPair & { user: { id: string; email: string; tenantId: string } }> {
  const res = await t
    .http()
    .post('/v1/auth/register')
    .send({ tenant, email, password, name: 'Test User' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as TokenPair & { user: { id: string; email: string; tenantId: string } };
}

export async function login(
  t: TestApp,
  tenant: string,
  email: string,
  password = STRONG_PASSWORD,
): Promise<TokenPair> {
  const res = await t.http().post('/v1/auth/login').send({ tenant, email, password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as TokenPair;
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
