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
});
