import { describe, expect, it } from 'vitest';
import { CORE_PERMISSIONS } from './core.permissions';
import { builtInRules, registerPermissionSubjects } from './permission-catalog';
import type { PermissionRule } from './permission-rule';
import { isRuleCovered } from './privilege';

registerPermissionSubjects(CORE_PERMISSIONS);

const rule = (r: PermissionRule) => r;

describe('isRuleCovered (privilege escalation)', () => {
  const owner = builtInRules('owner');
  const admin = builtInRules('admin');
  const member = builtInRules('member');

  it('owner (manage all) covers every tenant-scoped rule, but not instance administration', () => {
    expect(isRuleCovered(rule({ action: 'delete', subject: 'User' }), owner)).toBe(true);
    expect(isRuleCovered(rule({ action: 'manage', subject: 'all' }), owner)).toBe(true);
    expect(isRuleCovered(rule({ action: 'manage', subject: 'Platform' }), owner)).toBe(false);
  });

  it('admin cannot grant manage all (the owner role) but can grant what it manages', () => {
    expect(isRuleCovered(rule({ action: 'manage', subject: 'all' }), admin)).toBe(false);
    expect(
      isRuleCovered(rule({ action: 'update', subject: 'User', fields: ['name'] }), admin),
    ).toBe(true);
    expect(
      isRuleCovered(rule({ action: 'update', subject: 'Tenant', fields: ['plan'] }), admin),
    ).toBe(false);
    expect(
      isRuleCovered(rule({ action: 'update', subject: 'Tenant', fields: ['name'] }), admin),
    ).toBe(true);
  });

  it('conditions and fields: held rules must be at least as broad', () => {
    const own = rule({
      action: 'update',
      subject: 'User',
      fields: ['name'],
      conditions: { id: '${user.id}' },
    });
    expect(isRuleCovered(own, member)).toBe(true);
    expect(
      isRuleCovered(rule({ action: 'update', subject: 'User', fields: ['name'] }), member),
    ).toBe(false);
    expect(
      isRuleCovered(
        rule({ action: 'update', subject: 'User', conditions: { id: '${user.id}' } }),
        member,
      ),
    ).toBe(false);
    expect(
      isRuleCovered(rule({ action: 'read', subject: 'User', fields: ['email'] }), member),
    ).toBe(true);
    expect(isRuleCovered(rule({ action: 'read', subject: 'User' }), member)).toBe(false);
  });

  it('restrictions can always be granted; held restrictions block grants on that subject', () => {
    expect(isRuleCovered(rule({ action: 'delete', subject: 'User', inverted: true }), member)).toBe(
      true,
    );
    const restricted: PermissionRule[] = [
      { action: 'manage', subject: 'User' },
      { action: 'delete', subject: 'User', inverted: true },
    ];
    expect(isRuleCovered(rule({ action: 'delete', subject: 'User' }), restricted)).toBe(false);
    expect(isRuleCovered(rule({ action: 'read', subject: 'User' }), restricted)).toBe(true);
  });
});
