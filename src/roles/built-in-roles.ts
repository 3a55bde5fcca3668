import type { EntityManager } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { Role } from './entities/role.entity';
import type { BuiltInRoleName } from './permission-catalog';

const DESCRIPTIONS: Readonly<Record<BuiltInRoleName, string>> = {
  owner: 'Manages everything in the tenant',
  admin:
    'Manages users, roles, API keys, OAuth clients and projects; reads SSO connections and the audit log',
  member: "Reads others' public profile, updates its own, and manages its own projects",
  'platform-admin': 'Administers the whole instance: every tenant (root tenant only)',
};

/**
 * Creates the built-in roles of a new tenant. Their rules are not stored: they come from the
 * permission catalogue at run time, so a module added later extends them in every tenant.
 */
export async function createBuiltInRoles(
  manager: EntityManager,
  tenantId: string,
  isRoot: boolean,
): Promise<Map<BuiltInRoleName, Role>> {
  const names: BuiltInRoleName[] = isRoot
    ? ['owner', 'admin', 'member', 'platform-admin']
    : ['owner', 'admin', 'member'];
  const now = new Date();
  const roles = names.map((name) =>
    Object.assign(new Role(), {
      id: newId(),
      tenantId,
      name,
      description: DESCRIPTIONS[name],
      builtIn: true,
      permissions: [],
      createdAt: now,
      updatedAt: now,
    }),
  );
  // eslint-disable-next-line no-restricted-syntax -- seeds a tenant being created, in its creating transaction, before any scope can name it
  await manager.insert(Role, roles);
  return new Map(roles.map((role) => [role.name, role]));
}
