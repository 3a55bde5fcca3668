import { describe, expect, it } from 'vitest';
import { OAUTH_CLIENT_SUBJECT } from '../../oauth/oauth.permissions';
import { CORE_PERMISSIONS } from '../../roles/core.permissions';
import { builtInRules, registerPermissionSubjects } from '../../roles/permission-catalog';
import { SSO_CONNECTION_SUBJECT } from '../../sso/sso.permissions';
import { holdsAdministrativePower } from './administrative-power';

registerPermissionSubjects([...CORE_PERMISSIONS, OAUTH_CLIENT_SUBJECT, SSO_CONNECTION_SUBJECT]);

describe('holdsAdministrativePower (requireMfaForAdmins)', () => {
  it('covers the administrative built-in roles and not member', () => {
    expect(holdsAdministrativePower(builtInRules('owner'))).toBe(true);
    expect(holdsAdministrativePower(builtInRules('admin'))).toBe(true);
    expect(holdsAdministrativePower(builtInRules('platform-admin'))).toBe(true);
    expect(holdsAdministrativePower(builtInRules('member'))).toBe(false);
  });

  it('covers any custom role that manages an administrative subject, or all', () => {
    for (const subject of [
      'User',
      'Role',
      'ApiKey',
      'OAuthClient',
      'SsoConnection',
      'Tenant',
      'all',
    ])
      expect(holdsAdministrativePower([{ action: 'manage', subject }]), subject).toBe(true);
  });

  it('leaves reading, other subjects and restrictions alone', () => {
    expect(holdsAdministrativePower([{ action: 'read', subject: 'User' }])).toBe(false);
    expect(holdsAdministrativePower([{ action: 'manage', subject: 'Project' }])).toBe(false);
    expect(holdsAdministrativePower([{ action: 'read', subject: 'AuditEvent' }])).toBe(false);
    expect(holdsAdministrativePower([{ action: 'manage', subject: 'User', inverted: true }])).toBe(
      false,
    );
  });
});
