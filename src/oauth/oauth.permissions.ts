import { definePermissionSubject } from '../roles/permission-catalog';

const FIELDS = [
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
] as const;

/**
 * Owner-level fields (SPEC §14): skipping consent, or pointing an existing client's codes at
 * other URIs, lets the client act for users more privileged than whoever set it, silently.
 */
export const OWNER_LEVEL_CLIENT_FIELDS = ['skipConsent', 'redirectUris', 'postLogoutRedirectUris'];

const except = (excluded: readonly string[]) => FIELDS.filter((field) => !excluded.includes(field));

/** OAuth clients of the tenant. No API scope covers them: an OAuth token never manages clients. */
export const OAUTH_CLIENT_SUBJECT = definePermissionSubject({
  name: 'OAuthClient',
  description: 'Applications registered with the OAuth 2.0 / OpenID Connect authorization server',
  fields: FIELDS,
  tenantField: 'tenantId',
  actions: ['manage', 'create', 'read', 'update', 'delete'],
  grants: {
    // A new client has no users yet, so only `skipConsent` is withheld at creation.
    admin: [
      { action: 'read', subject: 'OAuthClient' },
      { action: 'delete', subject: 'OAuthClient' },
      { action: 'create', subject: 'OAuthClient', fields: except(['skipConsent']) },
      { action: 'update', subject: 'OAuthClient', fields: except(OWNER_LEVEL_CLIENT_FIELDS) },
    ],
  },
});

declare module '../roles/permission-catalog' {
  interface PermissionCatalogue {
    OAuthClient: typeof OAUTH_CLIENT_SUBJECT;
  }
}
