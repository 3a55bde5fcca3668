import type { SsoConnectionType } from './entities/sso-connection.entity';

export interface SsoUrls {
  /** SAML: our entity ID for this connection (SPEC §13), which is also its metadata URL. */
  spEntityId: string | null;
  acsUrl: string | null;
  metadataUrl: string | null;
  /** OIDC: the redirect URI registered at the IdP. */
  callbackUrl: string | null;
  loginUrl: string;
}

/** Every URL of a connection, from `PUBLIC_URL`: one SP (or client) per connection. */
export function ssoUrls(
  publicUrl: string,
  connection: { id: string; type: SsoConnectionType },
): SsoUrls {
  const base = `${publicUrl}/v1/sso/${connection.type}/${connection.id}`;
  if (connection.type === 'saml') {
    return {
      spEntityId: `${base}/metadata`,
      acsUrl: `${base}/acs`,
      metadataUrl: `${base}/metadata`,
      callbackUrl: null,
      loginUrl: `${base}/login`,
    };
  }
  return {
    spEntityId: null,
    acsUrl: null,
    metadataUrl: null,
    callbackUrl: `${base}/callback`,
    loginUrl: `${base}/login`,
  };
}
