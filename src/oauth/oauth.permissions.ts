import { definePermissionSubject } from '../roles/permission-catalog';

/** OAuth clients of the tenant. No API scope covers them: an OAuth token never manages clients. */
export const OAUTH_CLIENT_SUBJECT = definePermissionSubject({
  name: 'OAuthClient',
  description: 'Applications registered with the OAuth 2.0 / OpenID Connect authorization server',
  fields: [
    'id',
    'clientId',
    'name',
    'type',
    'redirectUris',
    'postLogoutRedirectUris',
    'grantTypes',
    'scopes',
    'roleIds',
    'skipConsent',
  ],
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  grants: { admin: [{ action: 'manage', subject: 'OAuthClient' }] },
});
