import type { ClientMetadata } from 'oidc-provider';
import { expect } from 'vitest';
import type { TestApp } from '../../support/app';
import { createConnection, type SsoConnectionAnswer } from './connections';
import type { TestOidcIdp } from './oidc-idp';
import { buildAssertion, buildResponse, type IdpKeys, signAssertion } from './saml-idp';
import { APP_CALLBACK, postAcs, startSamlLogin } from './sso-fixtures';
import type { TestDns } from './test-dns';

export const SAML_IDP = 'https://idp.peers.example/saml';
export const OIDC_CLIENT_SECRET = 'enterprise-client-secret-value';

/** A connection as the API answers it, with its MFA trust. */
export type PeerConnection = SsoConnectionAnswer & { idpEnforcesMfa: boolean };

/**
 * A SAML connection trusting `keys`, created by a tenant owner through the API, its domains
 * proven through `dns`.
 */
export async function createSamlConnection(
  t: TestApp,
  ownerHeaders: Record<string, string>,
  keys: IdpKeys,
  body: Record<string, unknown>,
  dns: TestDns,
): Promise<PeerConnection> {
  const connection = await createConnection(
    t,
    { headers: ownerHeaders },
    {
      type: 'saml',
      name: 'Peers SAML',
      jitProvisioning: false,
      saml: {
        idpEntityId: SAML_IDP,
        ssoUrl: 'https://idp.peers.example/sso',
        certificate: keys.certificate,
      },
      ...body,
    },
    dns,
  );
  return connection as PeerConnection;
}

/**
 * An OIDC connection to the test IdP with this client id, created by a tenant owner, its
 * domains proven through `dns`.
 */
export async function createOidcConnection(
  t: TestApp,
  ownerHeaders: Record<string, string>,
  idp: TestOidcIdp,
  clientId: string,
  body: Record<string, unknown>,
  dns: TestDns,
): Promise<PeerConnection> {
  const connection = await createConnection(
    t,
    { headers: ownerHeaders },
    {
      type: 'oidc',
      name: 'Peers OIDC',
      jitProvisioning: false,
      oidc: { issuer: idp.issuer, clientId, clientSecret: OIDC_CLIENT_SECRET },
      ...body,
    },
    dns,
  );
  return connection as PeerConnection;
}

/** The client registration the test IdP needs for a connection. */
export function oidcClientOf(connection: PeerConnection, clientId: string): ClientMetadata {
  return {
    client_id: clientId,
    client_secret: OIDC_CLIENT_SECRET,
    redirect_uris: [connection.callbackUrl],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/**
 * A whole SP-initiated SAML login: the AuthnRequest, then the IdP's signed answer for `nameId`
 * (its AuthnStatement saying `authnContextClassRef`), posted to the ACS. Answers the ACS reply.
 */
export async function samlLogin(
  t: TestApp,
  connection: PeerConnection,
  keys: IdpKeys,
  nameId: string,
  authnContextClassRef?: string,
  /** Edits the signed response before it is posted (an attacker in the middle). */
  tamper: (xml: string) => string = (xml) => xml,
) {
  const requestId = await startSamlLogin(t, connection.id);
  const assertion = buildAssertion({
    idpEntityId: SAML_IDP,
    audience: connection.spEntityId,
    recipient: connection.acsUrl,
    inResponseTo: requestId,
    nameId,
    authnContextClassRef,
  });
  const response = buildResponse({
    idpEntityId: SAML_IDP,
    destination: connection.acsUrl,
    inResponseTo: requestId,
    body: assertion,
  });
  return postAcs(t, connection.id, tamper(signAssertion(response, { keys })));
}

/** A whole OIDC login as `accountId` at the test IdP, in one browser. Answers our callback's reply. */
export async function oidcLogin(
  t: TestApp,
  idp: TestOidcIdp,
  connection: PeerConnection,
  accountId: string,
) {
  const start = await t
    .http()
    .get(`/v1/sso/oidc/${connection.id}/login`)
    .query({ redirect_uri: APP_CALLBACK });
  expect(start.status, JSON.stringify(start.body)).toBe(302);
  const cookie = ([] as string[])
    .concat(start.headers['set-cookie'] ?? [])
    .find((line) => line.startsWith('gh_sso_oidc='))
    ?.split(';')[0];
  const back = new URL(await idp.signIn(String(start.headers.location), accountId));
  return t
    .http()
    .get(`${back.pathname}${back.search}`)
    .set('Cookie', cookie ?? '');
}
