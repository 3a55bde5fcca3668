/** OpenID Connect scopes: who the user is, and whether the client may stay signed in. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** Gatehouse API scopes (SPEC §13): `read` → read; `write` → create, update, delete. */
export const API_SCOPES = [
  'users:read',
  'users:write',
  'roles:read',
  'roles:write',
  'projects:read',
  'projects:write',
  'audit:read',
  'tenant:read',
  'tenant:write',
] as const;

export const OAUTH_SCOPES: readonly string[] = [...OIDC_SCOPES, ...API_SCOPES];

/**
 * Scopes an access token may carry besides the API scopes. `openid`, `profile` and `email` ride
 * along so the one JWT is also good for the userinfo endpoint; `offline_access` only asks for a
 * refresh token and never appears in an access token.
 */
export const ACCESS_TOKEN_OIDC_SCOPES = ['openid', 'profile', 'email'] as const;

/** What the consent page says each scope lets the application do. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Know who you are',
  profile: 'See your name',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay signed in when you are not using it',
  'users:read': "Read your organisation's users",
  'users:write': "Create, change and delete your organisation's users",
  'roles:read': "Read your organisation's roles",
  'roles:write': "Create, change and delete your organisation's roles",
  'projects:read': 'Read projects',
  'projects:write': 'Create, change and delete projects',
  'audit:read': "Read your organisation's audit log",
  'tenant:read': "Read your organisation's settings",
  'tenant:write': "Change your organisation's settings",
};
