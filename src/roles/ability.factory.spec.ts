import { describe, expect, it } from 'vitest';
import { CORE_PERMISSIONS } from './core.permissions';
import { bindRules, buildAbility, isApiScope, scopeRules } from './ability.factory';
import { builtInRules, registerPermissionSubjects } from './permission-catalog';
import type { PermissionRule } from './permission-rule';

registerPermissionSubjects(CORE_PERMISSIONS);

const pairs = (rules: readonly PermissionRule[]) =>
  rules.map((rule) => `${rule.inverted ? 'not ' : ''}${rule.action} ${rule.subject}`).sort();

describe('scopeRules (what an OAuth token may do and grant)', () => {
  it('turns manage into the actions the scope allows, and drops subjects no scope covers', () => {
    const cut = scopeRules(builtInRules('admin'), ['openid', 'roles:write']);
    expect(pairs(cut)).toEqual(['create Role', 'delete Role', 'update Role']);
  });

  it('expands manage all to the scoped subjects only; instance administration never survives', () => {
    const rules: PermissionRule[] = [
      { action: 'manage', subject: 'all' },
      { action: 'manage', subject: 'Platform' },
    ];
    expect(pairs(scopeRules(rules, ['roles:write', 'users:read']))).toEqual([
      'create Role',
      'delete Role',
      'read User',
      'update Role',
    ]);
    expect(scopeRules(rules, ['openid', 'profile', 'email'])).toEqual([]);
  });

  it('keeps a single action only when a scope allows it, with its fields and templates intact', () => {
    const own: PermissionRule = {
      action: 'update',
      subject: 'User',
      fields: ['name'],
      conditions: { id: '${user.id}' },
    };
    expect(scopeRules([own], ['users:read'])).toEqual([]);
    expect(scopeRules([own], ['users:write'])).toEqual([own]);
  });

  it('keeps restrictions whatever the scopes', () => {
    const restriction: PermissionRule = { action: 'delete', subject: 'User', inverted: true };
    expect(scopeRules([restriction], [])).toEqual([restriction]);
  });

  it('is the cut the bound ability uses', () => {
    const context = { tenantId: 't1', tenantIsRoot: false, userId: 'u1' };
    const rules = builtInRules('member');
    const scopes = ['users:read', 'projects:write'];
    expect(bindRules(rules, { ...context, scopes })).toEqual(
      bindRules(scopeRules(rules, scopes), { ...context, scopes: null }),
    );
    const ability = buildAbility(builtInRules('admin'), { ...context, scopes: ['roles:write'] });
    expect(ability.can('update', 'Role')).toBe(true);
    expect(ability.can('read', 'Role')).toBe(false);
    expect(ability.can('manage', 'ApiKey')).toBe(false);
  });
});

describe('isApiScope', () => {
  it('knows the catalogue scopes and nothing else', () => {
    expect(isApiScope('users:read')).toBe(true);
    expect(isApiScope('roles:write')).toBe(true);
    for (const scope of ['openid', 'profile', 'email', 'offline_access', 'users', 'users:'])
      expect(isApiScope(scope)).toBe(false);
    expect(isApiScope('users:admin')).toBe(false);
    expect(isApiScope('users:constructor')).toBe(false);
    expect(isApiScope('nothing:read')).toBe(false);
    expect(isApiScope('users:read:x')).toBe(false);
  });
});
