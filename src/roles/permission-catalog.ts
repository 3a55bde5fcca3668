import type { Action, PermissionRule } from './permission-rule';

export type BuiltInRoleName = 'owner' | 'admin' | 'member' | 'platform-admin';
export const BUILT_IN_ROLES: readonly BuiltInRoleName[] = [
  'owner',
  'admin',
  'member',
  'platform-admin',
];

/**
 * What a feature module declares about one permission subject, in one place: its fields, how
 * its objects belong to a tenant, the OAuth scope that covers it, and what the built-in
 * `admin` and `member` roles get (`owner` manages everything in its tenant).
 */
export interface SubjectDefinition {
  readonly name: string;
  readonly description: string;
  /** Fields rules may name in `fields` and `conditions`. */
  readonly fields: readonly string[];
  /**
   * The field that holds the owning tenant's id, which every rule on this subject is bound to;
   * `null` for instance-level subjects that only the root tenant's roles may hold.
   */
  readonly tenantField: string | null;
  readonly actions: readonly Action[];
  /** OAuth API scope prefix (`users` for `users:read` / `users:write`). */
  readonly scope?: string;
  readonly grants?: {
    readonly admin?: readonly PermissionRule[];
    readonly member?: readonly PermissionRule[];
  };
}

const subjects = new Map<string, SubjectDefinition>();

/**
 * Registers a subject. Called at module load by each feature's `*.permissions.ts`, so the
 * catalogue, the built-in roles and `GET /v1/permissions` grow with the modules installed.
 */
export function definePermissionSubject(definition: SubjectDefinition): SubjectDefinition {
  subjects.set(definition.name, Object.freeze(definition));
  return definition;
}

export function permissionSubjects(): SubjectDefinition[] {
  return [...subjects.values()];
}

export function findSubject(name: string): SubjectDefinition | undefined {
  return subjects.get(name);
}

/** The rules of a built-in role, before binding to a tenant and a user. */
export function builtInRules(role: BuiltInRoleName): PermissionRule[] {
  switch (role) {
    case 'owner':
      return [{ action: 'manage', subject: 'all' }];
    case 'platform-admin':
      return [
        { action: 'manage', subject: 'all' },
        ...permissionSubjects()
          .filter((definition) => definition.tenantField === null)
          .map((definition): PermissionRule => ({ action: 'manage', subject: definition.name })),
      ];
    case 'admin':
    case 'member':
      return permissionSubjects().flatMap((definition) => [...(definition.grants?.[role] ?? [])]);
  }
}

export function isBuiltInRoleName(name: string): name is BuiltInRoleName {
  return (BUILT_IN_ROLES as readonly string[]).includes(name);
}
