import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataArgsStorage } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { ENTITIES } from './entities';
import { TENANT_OWNED_ENTITIES } from './tenant-owned';

describe('tenant-owned entities', () => {
  const withTenant = ENTITIES.filter((entity) =>
    getMetadataArgsStorage().columns.some(
      (column) => column.target === entity && column.propertyName === 'tenantId',
    ),
  ).map((entity) => entity.name);

  it('are every entity with a tenantId column', () => {
    expect(TENANT_OWNED_ENTITIES.map((entity) => entity.name).sort()).toEqual(withTenant.sort());
  });

  it('are the ones the lint rule keeps raw repositories away from', () => {
    const config = readFileSync(join(__dirname, '../../eslint.config.mjs'), 'utf8');
    const list = /const TENANT_OWNED =([^;]*);/.exec(config)?.[1] ?? '';
    const names = [...list.matchAll(/'([^']*)'/g)].map((match) => match[1]).join('');
    expect(names.split('|').sort()).toEqual(withTenant.sort());
  });
});
