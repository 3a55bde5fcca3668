import { definePermissionSubject } from './permission-catalog';

/**
 * Subjects of the core modules, registered by `RolesModule`. Feature modules declare theirs next
 * to their code and register them through their own module (see `projects/`).
 */
export const USER_SUBJECT = definePermissionSubject({
  name: 'User',
  description: 'Accounts of the tenant',
  fields: [
    'id',
    'email',
    'name',
    'status',
    'emailVerified',
    'mfaEnabled',
    'roles',
    'createdAt',
    'lastLoginAt',
  ],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  scope: 'users',
  grants: {
    admin: [{ action: 'manage', subject: 'User' }],
    member: [
      // Others' public fields; all of one's own, and one's own name to change.
      { action: 'read', subject: 'User', fields: ['id', 'name', 'email'] },
      { action: 'read', subject: 'User', conditions: { id: '${user.id}' } },
      { action: 'update', subject: 'User', fields: ['name'], conditions: { id: '${user.id}' } },
    ],
  },
});

export const ROLE_SUBJECT = definePermissionSubject({
  name: 'Role',
  description: 'Roles and their permissions',
  fields: ['id', 'name', 'description', 'permissions'],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  scope: 'roles',
  grants: { admin: [{ action: 'manage', subject: 'Role' }] },
});

export const TENANT_SUBJECT = definePermissionSubject({
  name: 'Tenant',
  description: 'The tenant itself: its name and settings',
  fields: ['id', 'slug', 'name', 'plan', 'status', 'settings'],
  tenantField: 'id',
  actions: ['manage', 'read', 'update'],
  scope: 'tenant',
  grants: {
    admin: [
      { action: 'read', subject: 'Tenant' },
      { action: 'update', subject: 'Tenant', fields: ['name', 'settings'] },
    ],
  },
});

export const API_KEY_SUBJECT = definePermissionSubject({
  name: 'ApiKey',
  description: 'API keys for machine access',
  fields: ['id', 'name', 'prefix', 'roles', 'expiresAt', 'createdById'],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'delete'],
  grants: { admin: [{ action: 'manage', subject: 'ApiKey' }] },
});

export const AUDIT_EVENT_SUBJECT = definePermissionSubject({
  name: 'AuditEvent',
  description: 'The audit log (read only: no route changes it)',
  fields: ['id', 'action', 'actorId', 'targetType', 'targetId', 'outcome'],
  tenantField: 'tenantId',
  actions: ['read'],
  scope: 'audit',
  grants: { admin: [{ action: 'read', subject: 'AuditEvent' }] },
});

/** Instance administration (tenants of the whole platform): held only in the root tenant. */
export const PLATFORM_SUBJECT = definePermissionSubject({
  name: 'Platform',
  description: 'Administration of the whole instance: every tenant (root tenant only)',
  fields: [],
  tenantField: null,
  actions: ['manage'],
});

export const CORE_PERMISSIONS = [
  USER_SUBJECT,
  ROLE_SUBJECT,
  TENANT_SUBJECT,
  API_KEY_SUBJECT,
  AUDIT_EVENT_SUBJECT,
  PLATFORM_SUBJECT,
] as const;

declare module './permission-catalog' {
  interface PermissionCatalogue {
    User: typeof USER_SUBJECT;
    Role: typeof ROLE_SUBJECT;
    Tenant: typeof TENANT_SUBJECT;
    ApiKey: typeof API_KEY_SUBJECT;
    AuditEvent: typeof AUDIT_EVENT_SUBJECT;
    Platform: typeof PLATFORM_SUBJECT;
  }
}
