import { definePermissionSubject } from '../roles/permission-catalog';

/**
 * Everything Gatehouse needs to know about the `Project` subject, in one place: its fields, that
 * its objects belong to a tenant through `tenantId`, the OAuth scope that covers it, and what
 * the built-in roles get. Owners manage everything already (`manage all`).
 */
export const PROJECT_SUBJECT = definePermissionSubject({
  name: 'Project',
  description: 'Projects (the sample resource)',
  fields: ['id', 'ownerId', 'name', 'description'],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  scope: 'projects',
  grants: {
    admin: [{ action: 'manage', subject: 'Project' }],
    member: [
      { action: 'read', subject: 'Project' },
      // `${user.id}` is the caller: members manage the projects they own, and create only their own.
      { action: 'manage', subject: 'Project', conditions: { ownerId: '${user.id}' } },
    ],
  },
});

declare module '../roles/permission-catalog' {
  interface PermissionCatalogue {
    Project: typeof PROJECT_SUBJECT;
  }
}
