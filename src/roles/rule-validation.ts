import type { FieldError } from '../common/errors/app-error';
import { USER_ID_PLACEHOLDER } from './ability.factory';
import { findSubject } from './permission-catalog';
import type { PermissionRule, RuleConditions } from './permission-rule';

const MAX_CONDITIONS = 20;
const MAX_CONDITION_VALUE = 256;

/**
 * Checks stored rules against the permission catalogue: known subject (or `all`), an action the
 * subject has, known fields, and conditions that are plain equality on known fields. Returns one
 * field error per problem, and the rules normalised (only the members a rule may have).
 */
export function validateRules(
  rules: readonly PermissionRule[],
  field = 'permissions',
): { rules: PermissionRule[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const normalised: PermissionRule[] = [];
  rules.forEach((rule, index) => {
    const at = `${field}.${index}`;
    const definition = rule.subject === 'all' ? null : findSubject(rule.subject);
    if (rule.subject !== 'all' && !definition) {
      errors.push({
        field: `${at}.subject`,
        message: 'is not a known subject (see GET /v1/permissions)',
      });
      return;
    }
    if (definition && !definition.actions.includes(rule.action) && rule.action !== 'manage') {
      errors.push({ field: `${at}.action`, message: `is not an action of ${definition.name}` });
    }
    const known = new Set(definition?.fields ?? []);
    if (rule.fields !== undefined) {
      if (!definition)
        errors.push({ field: `${at}.fields`, message: 'cannot be used with subject "all"' });
      for (const name of rule.fields) {
        if (definition && !known.has(name))
          errors.push({
            field: `${at}.fields`,
            message: `"${name}" is not a field of ${definition.name}`,
          });
      }
    }
    const conditions: RuleConditions = {};
    if (rule.conditions !== undefined) {
      const entries = Object.entries(rule.conditions as Record<string, unknown>);
      if (entries.length > MAX_CONDITIONS)
        errors.push({
          field: `${at}.conditions`,
          message: `has more than ${MAX_CONDITIONS} entries`,
        });
      for (const [key, value] of entries) {
        if (!definition) {
          errors.push({ field: `${at}.conditions`, message: 'cannot be used with subject "all"' });
          break;
        } else if (!known.has(key)) {
          errors.push({
            field: `${at}.conditions.${key}`,
            message: 'is not a field of the subject',
          });
        } else if (definition.tenantField === key) {
          // The tenant is bound by Gatehouse; a rule cannot point at another one.
          errors.push({ field: `${at}.conditions.${key}`, message: 'is set by Gatehouse' });
        } else if (!(
          (typeof value === 'string' && value.length <= MAX_CONDITION_VALUE) ||
          typeof value === 'number' ||
          typeof value === 'boolean' ||
          value === null
        )) {
          errors.push({
            field: `${at}.conditions.${key}`,
            message: `must be a string, number, boolean or null (equality only; ${USER_ID_PLACEHOLDER} for the caller)`,
          });
        } else {
          conditions[key] = value;
        }
      }
    }
    normalised.push({
      action: rule.action,
      subject: rule.subject,
      ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
      ...(rule.fields !== undefined ? { fields: [...new Set(rule.fields)] } : {}),
      ...(rule.inverted ? { inverted: true } : {}),
    });
  });
  return { rules: normalised, errors };
}
