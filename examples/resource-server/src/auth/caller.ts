/** Who called, from the claims of a verified Gatehouse access token. */
export interface Caller {
  /** The user id, or the OAuth client id of a client-credentials token. */
  sub: string;
  tenantId: string;
  /** OAuth scopes; empty for tokens from Gatehouse's own login. */
  scopes: string[];
}
