export const ACTIONS = ['manage', 'create', 'read', 'update', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * A stored permission: the CASL raw rule shape, one action on one subject. Conditions may
 * name the caller as `"${user.id}"`; the ability factory fills it in and adds the tenant.
 */
/** Conditions are equality matches on a subject's fields; `"${user.id}"` stands for the caller. */
export type RuleConditions = Record<string, string | number | boolean | null>;

export interface PermissionRule {
  action: Action;
  subject: string;
  conditions?: RuleConditions;
  fields?: string[];
  inverted?: boolean;
}
