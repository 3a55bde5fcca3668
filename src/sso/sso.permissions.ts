import { definePermissionSubject } from '../roles/permission-catalog';

/**
 * Enterprise SSO connections of a tenant. No OAuth scope covers them: an app acting for a user
 * never reconfigures how the tenant signs in. Whoever sets a connection's trust can sign in as
 * any account it reaches, so the built-in `admin` only reads and renames; creating, deleting and
 * every other field need a rule only `owner` holds (or grants to a custom role).
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
    'idpEnforcesMfa',
    'defaultRoleIds',
    'attributeMapping',
    'saml',
    'oidc',
  ],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  grants: {
    admin: [
      { action: 'read', subject: 'SsoConnection' },
      { action: 'update', subject: 'SsoConnection', fields: ['name'] },
    ],
  },
});

declare module '../roles/permission-catalog' {
  interface PermissionCatalogue {
    SsoConnection: typeof SSO_CONNECTION_SUBJECT;
  }
}
