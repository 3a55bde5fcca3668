import { definePermissionSubject } from '../roles/permission-catalog';

/**
 * Enterprise SSO connections of a tenant. No OAuth scope covers them: an app acting for a user
 * never reconfigures how the tenant signs in.
 */
export const SSO_CONNECTION_SUBJECT = definePermissionSubject({
  name: 'SsoConnection',
  description: 'Enterprise SSO connections (SAML 2.0, OIDC) and the email domains they serve',
  fields: [
    'id',
    'type',
    'name',
    'domains',
    'jitProvisioning',
    'defaultRoleIds',
    'attributeMapping',
    'saml',
    'oidc',
  ],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  grants: { admin: [{ action: 'manage', subject: 'SsoConnection' }] },
});
