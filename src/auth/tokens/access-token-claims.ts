/** The claims of every Gatehouse access token (SPEC §8), whoever issued it. */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  /** User id, or the OAuth client id for client-credentials tokens. */
  sub: string;
  /** Tenant id. */
  tid: string;
  /** Session id; absent on client-credentials tokens. */
  sid?: string;
  iat: number;
  exp: number;
  jti: string;
  /** Space-separated OAuth scopes, only on tokens the authorization server issued. */
  scope?: string;
  /** The OAuth client the token was issued to, only on tokens the authorization server issued. */
  client_id?: string;
}
