import {
  type ForcedSubject,
  type MongoAbility,
  type RawRuleOf,
  createMongoAbility,
  subject as asSubject,
} from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import { AppError } from '../common/errors/app-error';
import { findSubject, permissionSubjects } from './permission-catalog';
import type { Action, PermissionRule } from './permission-rule';

export type SubjectObject = Record<string, unknown> & ForcedSubject<string>;
export type AppAbility = MongoAbility<[Action, string | SubjectObject]>;
export type AppRawRule = RawRuleOf<AppAbility>;

export const USER_ID_PLACEHOLDER = '${user.id}';

/** OAuth API scopes and what they allow (SPEC §13): `read` → read; `write` → create, update, delete. */
const SCOPE_ACTIONS: Readonly<Record<string, readonly Action[]>> = {
  read: ['read'],
  write: ['create', 'update', 'delete'],
};

export interface AbilityContext {
  tenantId: string;
  /** Only the root tenant's roles may hold instance-level subjects. */
  tenantIsRoot: boolean;
  /** Fills `${user.id}` in conditions; null for principals that are not users (OAuth clients). */
  userId: string | null;
  /** OAuth scopes of the token, or null for first-party tokens and API keys (no scope limit). */
  scopes: readonly string[] | null;
}

function interpolate(
  conditions: Record<string, unknown>,
  userId: string | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(conditions)) {
    // With no user to stand for, the condition can match nothing.
    out[key] = value === USER_ID_PLACEHOLDER ? (userId ?? '\u0000no-user') : value;
  }
  return out;
}

/** `manage all` becomes `manage` on every tenant-scoped subject, so each can be bound to the tenant. */
export function expandRule(rule: PermissionRule): PermissionRule[] {
  if (rule.subject !== 'all') return [rule];
  return permissionSubjects()
    .filter((definition) => definition.tenantField !== null)
    .map((definition) => ({ ...rule, subject: definition.name }));
}

function levelActions(level: string): readonly Action[] {
  return Object.hasOwn(SCOPE_ACTIONS, level) ? (SCOPE_ACTIONS[level] ?? []) : [];
}

function scopeActions(subjectName: string, scopes: readonly string[]): Set<Action> {
  const prefix = findSubject(subjectName)?.scope;
  const allowed = new Set<Action>();
  if (!prefix) return allowed;
  for (const scope of scopes) {
    const [name, level] = scope.split(':');
    if (name === prefix && level) for (const action of levelActions(level)) allowed.add(action);
  }
  return allowed;
}

/** Whether a scope is a Gatehouse API scope (`users:read`…) rather than an OIDC one. */
export function isApiScope(scope: string): boolean {
  const [name, level, ...rest] = scope.split(':');
  if (!name || !level || rest.length > 0 || levelActions(level).length === 0) return false;
  return permissionSubjects().some((definition) => definition.scope === name);
}

/**
 * Stored rules cut down to what OAuth scopes allow, still unbound (templates intact): only the
 * `(subject, action)` pairs the scopes allow survive, a `manage` rule becoming the allowed
 * actions, and restrictions (inverted rules) always stay. Both the ability of a scoped principal
 * and its privilege-escalation checks use this one cut, so a token can grant only what it may do.
 */
export function scopeRules(
  rules: readonly PermissionRule[],
  scopes: readonly string[],
): PermissionRule[] {
  const cut: PermissionRule[] = [];
  for (const rule of rules.flatMap(expandRule)) {
    if (rule.inverted) {
      cut.push(rule);
      continue;
    }
    const allowed = scopeActions(rule.subject, scopes);
    const actions =
      rule.action === 'manage' ? [...allowed] : allowed.has(rule.action) ? [rule.action] : [];
    for (const action of actions) cut.push({ ...rule, action });
  }
  return cut;
}

/**
 * Turns stored rules into CASL rules bound to one principal: every rule gets the caller's
 * tenant in its conditions (isolation holds in every check, not only in the guard), `${user.id}`
 * is filled in, and an OAuth token's scopes cut each rule down to what they allow.
 */
export function bindRules(rules: readonly PermissionRule[], context: AbilityContext): AppRawRule[] {
  const bound: AppRawRule[] = [];
  const stored =
    context.scopes === null ? rules.flatMap(expandRule) : scopeRules(rules, context.scopes);
  for (const rule of stored) {
    const definition = findSubject(rule.subject);
    if (!definition) continue;
    if (definition.tenantField === null && !context.tenantIsRoot) continue;
    const conditions = interpolate(rule.conditions ?? {}, context.userId);
    if (definition.tenantField !== null) conditions[definition.tenantField] = context.tenantId;
    bound.push({
      action: rule.action,
      subject: rule.subject,
      conditions,
      ...(rule.fields ? { fields: [...rule.fields] } : {}),
      ...(rule.inverted ? { inverted: true } : {}),
    });
  }
  return bound;
}

export function buildAbility(
  rules: readonly PermissionRule[],
  context: AbilityContext,
): AppAbility {
  return createMongoAbility<AppAbility>(bindRules(rules, context));
}

/** A copy of a loaded object tagged with its CASL subject type. */
function toSubject(subjectType: string, object: object): SubjectObject {
  const copy: Record<string, unknown> = { ...object };
  return asSubject(subjectType, copy);
}

/**
 * What a principal may do: one ability, or several that must all agree (an API key is limited
 * by its own roles and by its creator's current permissions).
 */
export class Permissions {
  constructor(readonly abilities: readonly AppAbility[]) {}

  /** Type-level check (the route decorator): could this action apply to some object of the type? */
  can(action: Action, subjectType: string, field?: string): boolean {
    return this.abilities.every((ability) => ability.can(action, subjectType, field));
  }

  /** Object-level check: the loaded object itself, with its tenant and owner. */
  canOn(action: Action, subjectType: string, object: object, field?: string): boolean {
    const target = toSubject(subjectType, object);
    return this.abilities.every((ability) => ability.can(action, target, field));
  }

  /** Throws 403 unless every ability allows the action on the object (and field). */
  assert(action: Action, subjectType: string, object: object, field?: string): void {
    if (!this.canOn(action, subjectType, object, field)) throw AppError.forbidden();
  }

  /** The fields of the object this principal may `action` (read: which to show). */
  permittedFields(
    action: Action,
    subjectType: string,
    object: object,
    allFields: readonly string[],
  ): string[] {
    const target = toSubject(subjectType, object);
    let fields = new Set(allFields);
    for (const ability of this.abilities) {
      const permitted = new Set(
        permittedFieldsOf(ability, action, target, {
          fieldsFrom: (rule) => rule.fields ?? [...allFields],
        }),
      );
      fields = new Set([...fields].filter((field) => permitted.has(field)));
    }
    return [...fields];
  }
}
