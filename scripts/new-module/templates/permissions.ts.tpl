import { definePermissionSubject } from '../roles/permission-catalog';

/**
 * This module's permission subject: its fields, how its objects belong to a tenant, and what
 * the built-in roles get (owners manage everything already). The module registers it with
 * `providePermissions`. To let OAuth tokens reach it, give it a `scope` and list that scope's
 * `read` and `write` in `oauth/oauth-scopes.ts`.
 */
export const __CONST___SUBJECT = definePermissionSubject({
  name: '__Name__',
  description: '__Label__',
  fields: ['id', 'ownerId', 'name', 'description'],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  grants: {
    admin: [{ action: 'manage', subject: '__Name__' }],
    member: [
      { action: 'read', subject: '__Name__' },
      // `${user.id}` is the caller: members manage the ones they own, and create only their own.
      { action: 'manage', subject: '__Name__', conditions: { ownerId: '${user.id}' } },
    ],
  },
});

// What `@Can(action, '__Name__')` accepts, checked by the compiler.
declare module '../roles/permission-catalog' {
  interface PermissionCatalogue {
    __Name__: typeof __CONST___SUBJECT;
  }
}
