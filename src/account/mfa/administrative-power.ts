import { expandRule } from '../../roles/ability.factory';
import type { PermissionRule } from '../../roles/permission-rule';

/**
 * Subjects whose management is administration: who signs in and how (users, SSO, OAuth
 * clients, API keys), what they may do (roles), and the tenant's own settings.
 */
export const ADMINISTRATIVE_SUBJECTS: ReadonlySet<string> = new Set([
  'User',
  'Role',
  'ApiKey',
  'OAuthClient',
  'SsoConnection',
  'Tenant',
]);

/**
 * Whether rules make their holder an administrator for `requireMfaForAdmins`: any `manage` on an
 * administrative subject (`manage all` included), whatever the role is called. Decided by power,
 * not by name, so a custom role cannot carry admin power past the MFA requirement.
 */
export function holdsAdministrativePower(rules: readonly PermissionRule[]): boolean {
  return rules
    .flatMap(expandRule)
    .some(
      (rule) =>
        !rule.inverted && rule.action === 'manage' && ADMINISTRATIVE_SUBJECTS.has(rule.subject),
    );
}
