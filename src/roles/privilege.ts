import { AppError } from '../common/errors/app-error';
import type { Principal } from '../auth/principal/principal';
import { expandRule } from './ability.factory';
import type { Action, PermissionRule } from './permission-rule';

function actionCovers(held: Action, wanted: Action): boolean {
  return held === 'manage' || held === wanted;
}

function actionsOverlap(a: Action, b: Action): boolean {
  return a === 'manage' || b === 'manage' || a === b;
}

/** Every condition of the held rule is also in the wanted one: the held rule is at least as broad. */
function conditionsCover(held: PermissionRule, wanted: PermissionRule): boolean {
  const wantedConditions = wanted.conditions ?? {};
  return Object.entries(held.conditions ?? {}).every(
    ([key, value]) => key in wantedConditions && wantedConditions[key] === value,
  );
}

function fieldsCover(held: PermissionRule, wanted: PermissionRule): boolean {
  if (!held.fields) return true;
  if (!wanted.fields) return false;
  return wanted.fields.every((field) => held.fields?.includes(field));
}

/**
 * Whether holding `held` lets one hand `wanted` to someone else. Rules are compared as stored
 * (templates such as `${user.id}` intact): "update yourself" covers "update yourself", never
 * "update anyone". Restrictions (inverted rules) can always be granted. A held restriction on
 * the same subject and action makes the grant refused, rather than reasoning about overlaps.
 */
export function isRuleCovered(wanted: PermissionRule, held: readonly PermissionRule[]): boolean {
  if (wanted.inverted) return true;
  const expandedHeld = held.flatMap(expandRule);
  return expandRule(wanted).every((rule) => {
    const restricted = expandedHeld.some(
      (h) => h.inverted && h.subject === rule.subject && actionsOverlap(h.action, rule.action),
    );
    if (restricted) return false;
    return expandedHeld.some(
      (h) =>
        !h.inverted &&
        h.subject === rule.subject &&
        actionCovers(h.action, rule.action) &&
        conditionsCover(h, rule) &&
        fieldsCover(h, rule),
    );
  });
}

/** The rules of `wanted` the principal does not hold itself (in every one of its rule sets). */
export function ungrantableRules(
  auth: Principal,
  wanted: readonly PermissionRule[],
): PermissionRule[] {
  return wanted.filter((rule) => !auth.ruleSets.every((held) => isRuleCovered(rule, held)));
}

/**
 * Nobody creates, updates or assigns a role, or mints an API key or client, with a permission
 * it does not hold itself: privilege escalation answers 403.
 */
export function assertGrantable(auth: Principal, wanted: readonly PermissionRule[]): void {
  const missing = ungrantableRules(auth, wanted);
  if (missing.length > 0) {
    const first = missing[0];
    throw AppError.forbidden(
      `You cannot grant a permission you do not hold (${first.action} ${first.subject}).`,
    );
  }
}
