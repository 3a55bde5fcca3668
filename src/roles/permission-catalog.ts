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
export interface SubjectDefinition<
  Name extends string = string,
  Actions extends readonly Action[] = readonly Action[],
> {
  readonly name: Name;
  readonly description: string;
  /** Fields rules may name in `fields` and `conditions`. */
  readonly fields: readonly string[];
  /**
   * The field that holds the owning tenant's id, which every rule on this subject is bound to;
   * `null` for instance-level subjects that only the root tenant's roles may hold.
   */
  readonly tenantField: string | null;
  readonly actions: Actions;
  /** OAuth API scope prefix (`users` for `users:read` / `users:write`). */
  readonly scope?: string;
  readonly grants?: {
    readonly admin?: readonly PermissionRule[];
    readonly member?: readonly PermissionRule[];
  };
}

/**
 * The catalogue as the compiler sees it. Each `*.permissions.ts` adds its subject by declaration
 * merging (`interface PermissionCatalogue { Project: typeof PROJECT_SUBJECT }`), so `@Can`
 * accepts only the subjects and actions that modules declare, and a typo fails to compile.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface PermissionCatalogue {}

export type CatalogueSubject = keyof PermissionCatalogue;
export type CatalogueAction<S extends CatalogueSubject> =
  PermissionCatalogue[S] extends SubjectDefinition<string, infer Actions> ? Actions[number] : never;
/** A definition declared in the catalogue under its own name (what `providePermissions` takes). */
export type CatalogueDefinition = {
  [S in CatalogueSubject]: PermissionCatalogue[S] & { readonly name: S };
}[CatalogueSubject];

/**
 * Declares a subject. Pure: the module that owns it registers it (`providePermissions`), so the
 * catalogue holds exactly the subjects of the modules the app imports. The name and the actions
 * keep their literal types, which is what `@Can` checks against.
 */
export function definePermissionSubject<
  const Name extends string,
  const Actions extends readonly Action[],
>(definition: SubjectDefinition<Name, Actions>): SubjectDefinition<Name, Actions> {
  return Object.freeze(definition);
}

const subjects = new Map<string, SubjectDefinition>();
let read = false;

/**
 * Adds subjects to the run-time catalogue. Nest runs every provider factory before any
 * lifecycle hook or request, so the catalogue is complete before roles are checked or
 * abilities built; a subject registered after the first read means something read it too
 * early (in a constructor, say), which would silently miss subjects, so that fails loudly.
 */
export function registerPermissionSubjects(definitions: readonly SubjectDefinition[]): void {
  for (const definition of definitions) {
    const known = subjects.get(definition.name);
    if (known === definition) continue;
    if (known) throw new Error(`Permission subject ${definition.name} is declared twice`);
    if (read)
      throw new Error(
        `Permission subject ${definition.name} was registered after the catalogue was read: ` +
          'read it in a lifecycle hook or a request, not while providers are created',
      );
    subjects.set(definition.name, definition);
  }
}

export function permissionSubjects(): SubjectDefinition[] {
  read = true;
  return [...subjects.values()];
}

export function findSubject(name: string): SubjectDefinition | undefined {
  read = true;
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
