import { Injectable } from '@nestjs/common';
import type { SAML } from '@node-saml/node-saml';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import type { AttributeMapping } from '../entities/sso-connection.entity';
import { type LoadedConnection, SsoConnectionsService } from '../sso-connections.service';
import { type AssertedIdentity, SsoLoginService } from '../sso-login.service';
import { assertedEmail } from '../asserted-email';
import { SsoRefusal } from '../sso-refusal';
import { SsoStateStore } from '../sso-state.store';
import { ssoUrls } from '../sso-urls';
import { samlShowsMfa } from '../idp-mfa';
import { inspectSamlResponse } from './saml-response-inspector';
import { readSignedAssertion, type SignedAssertion } from './signed-assertion';
import { loadOnce } from '../../common/load-once';
import { SAML_REQUEST_TTL_MS } from './saml-browser-binding';
import { assertBound, relayKey, type SamlRelay, SamlRequestCache } from './saml-relay';

export interface SamlStart {
  redirectUri: unknown;
  codeChallenge?: string;
  /** Sets the browser-binding cookie; answers its hash. */
  bind: () => string;
}

/**
 * node-saml and its XML libraries load on first use, not at boot: they are about a tenth of a
 * start, and most instances have no SAML connection.
 */
const loadNodeSaml = loadOnce(() => import('@node-saml/node-saml'));

/** How long an AuthnRequest waits for its response (InResponseTo), and its relay state with it. */
const REQUEST_TTL_MS = SAML_REQUEST_TTL_MS;
/** "A few seconds" of clock skew between us and the IdP (SPEC §10). */
export const CLOCK_SKEW_MS = 5_000;
/** An assertion is refused this long after its IssueInstant, whatever its NotOnOrAfter says. */
const MAX_ASSERTION_AGE_MS = 5 * 60_000;
const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

const EMAIL_ATTRIBUTES = [
  'email',
  'mail',
  'emailAddress',
  'urn:oid:0.9.2342.19200300.100.1.3',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
];
const NAME_ATTRIBUTES = [
  'name',
  'displayName',
  'urn:oid:2.16.840.1.113730.3.1.241',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];
const GROUP_ATTRIBUTES = [
  'groups',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
];

/**
 * SAML 2.0 service provider, one per connection, on `@node-saml/node-saml` directly: the
 * connection is resolved from the path, a `SAML` instance is built for it per request with
 * node-saml's unsafe defaults overridden, and every refusal becomes 401 `sso_failed` here
 * rather than in a passport guard. Around node-saml's signature checks we add what it does not
 * do: the structural checks of `inspectSamlResponse` and the browser binding (before), and
 * after, the assertion's Issuer, its bearer confirmation (Recipient, InResponseTo), and the
 * replay cache.
 */
@Injectable()
export class SamlSsoService {
  constructor(
    private readonly config: AppConfig,
    private readonly connections: SsoConnectionsService,
    private readonly logins: SsoLoginService,
    private readonly store: SsoStateStore,
  ) {}

  async metadata(connectionId: string): Promise<string> {
    const connection = await this.connection(connectionId);
    const urls = ssoUrls(this.config.http.publicUrl, connection);
    const { generateServiceProviderMetadata } = await loadNodeSaml();
    return generateServiceProviderMetadata({
      issuer: urls.spEntityId ?? '',
      callbackUrl: urls.acsUrl ?? '',
      identifierFormat: NAMEID_UNSPECIFIED,
      wantAssertionsSigned: true,
    });
  }

  /** Where to send the browser: the IdP's SSO URL with a deflated AuthnRequest (redirect binding). */
  async startLogin(connectionId: string, start: SamlStart): Promise<string> {
    const connection = await this.connection(connectionId);
    const relay: SamlRelay = {
      redirectUri: await this.logins.checkedRedirect(connection, start.redirectUri),
      bindingHash: start.bind(),
      ...(start.codeChallenge ? { codeChallenge: start.codeChallenge } : {}),
    };
    // node-saml's own id generator (a random hex id) is replaced so that we know the id.
    const requestId = `_${randomBytes(20).toString('hex')}`;
    await this.store.put(relayKey(connection.id, requestId), JSON.stringify(relay), REQUEST_TTL_MS);
    const saml = await this.samlFor(connection, { requestId });
    return saml.getAuthorizeUrlAsync('', undefined, {});
  }

  /**
   * Validates the POSTed response and signs the user in: answers the app's redirect with a
   * code. `boundTo` tells whether the request carries the binding cookie of a given hash.
   */
  async consume(
    connectionId: string,
    encodedResponse: string,
    boundTo: (bindingHash: string) => boolean,
  ): Promise<string> {
    const connection = await this.connection(connectionId);
    let asserted: AssertedIdentity;
    let relay: SamlRelay;
    try {
      ({ asserted, relay } = await this.validate(connection, encodedResponse, boundTo));
    } catch (error) {
      throw this.logins.refusal(connection, error);
    }
    return this.logins.complete(connection, asserted, relay.redirectUri, {
      codeChallenge: relay.codeChallenge,
    });
  }

  private async validate(
    connection: LoadedConnection,
    encodedResponse: string,
    boundTo: (bindingHash: string) => boolean,
  ): Promise<{ asserted: AssertedIdentity; relay: SamlRelay }> {
    const settings = connection.saml;
    if (!settings) throw new SsoRefusal('not_saml');
    const urls = ssoUrls(this.config.http.publicUrl, connection);
    const inspected = await inspectSamlResponse(encodedResponse);
    if (inspected.destination !== null && inspected.destination !== urls.acsUrl) {
      throw new SsoRefusal('destination_mismatch');
    }
    if (inspected.issuer !== null && inspected.issuer !== settings.idpEntityId) {
      throw new SsoRefusal('issuer_mismatch', 'The Response Issuer is not the IdP');
    }
    if (!inspected.inResponseTo) {
      throw new SsoRefusal('in_response_to_missing', 'IdP-initiated login is off');
    }
    // Login CSRF (F12): a response for a login this browser did not start is refused before
    // any other check and consumes nothing, neither the relay nor node-saml's request id, so a
    // cookie-less post cannot burn a victim's login in flight.
    const pending = await this.store.get(relayKey(connection.id, inspected.inResponseTo));
    if (pending !== null) assertBound(pending, boundTo);

    const saml = await this.samlFor(connection, { envelopeSigned: inspected.envelopeSigned });
    let result: Awaited<ReturnType<SAML['validatePostResponseAsync']>>;
    try {
      result = await saml.validatePostResponseAsync({ SAMLResponse: encodedResponse });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SsoRefusal(classify(message), message);
    }
    const xml = result.profile?.getAssertionXml?.();
    if (!xml || result.loggedOut) throw new SsoRefusal('invalid_response', 'No signed assertion');
    const assertion = await readSignedAssertion(xml);

    // node-saml does not compare the assertion's Issuer with the IdP on login.
    if (assertion.issuer !== settings.idpEntityId) {
      throw new SsoRefusal('issuer_mismatch', 'The assertion Issuer is not the IdP');
    }
    // The envelope's InResponseTo is not signed unless the envelope is: the signed bearer
    // confirmation must name the same request, and our ACS.
    const confirmed = assertion.bearerConfirmations.some(
      (confirmation) =>
        confirmation.recipient === urls.acsUrl &&
        confirmation.inResponseTo === inspected.inResponseTo &&
        confirmation.notOnOrAfter !== null,
    );
    if (!confirmed)
      throw new SsoRefusal(
        'subject_confirmation',
        'No bearer confirmation for this request and ACS',
      );
    if (!assertion.notOnOrAfter)
      throw new SsoRefusal('assertion_time', 'The assertion has no NotOnOrAfter');

    const expiresAt = Math.min(
      assertion.notOnOrAfter.getTime(),
      assertion.issueInstant.getTime() + MAX_ASSERTION_AGE_MS,
    );
    const ttl = Math.max(1_000, expiresAt - Date.now() + CLOCK_SKEW_MS);
    if (!(await this.store.claim(`saml-assertion:${connection.id}:${assertion.id}`, ttl))) {
      throw new SsoRefusal('assertion_replayed');
    }
    // Taking the relay consumes the request: of two responses to one request, one wins.
    const taken = await this.store.take(relayKey(connection.id, inspected.inResponseTo));
    if (!taken) throw new SsoRefusal('request_already_used');
    const relay = assertBound(taken, boundTo);

    return { asserted: this.identityOf(assertion, connection.attributeMapping), relay };
  }

  private identityOf(
    assertion: SignedAssertion,
    mapping: AttributeMapping | null,
  ): AssertedIdentity {
    const first = (names: readonly string[]) => {
      for (const name of names) {
        const value = assertion.attributes.get(name)?.[0];
        if (value) return value;
      }
      return null;
    };
    let email = first(mapping?.email ? [mapping.email] : EMAIL_ATTRIBUTES);
    const nameId = assertion.nameId;
    if (
      !email &&
      !mapping?.email &&
      nameId &&
      [NAMEID_EMAIL, NAMEID_UNSPECIFIED, null].includes(assertion.nameIdFormat)
    ) {
      email = nameId;
    }
    if (!nameId) throw new SsoRefusal('subject_invalid', 'The assertion has no NameID');
    return {
      subject: nameId,
      email: assertedEmail(email),
      // The IdP is authoritative for the connection's domains (checked before any link).
      emailVerified: true,
      name: first(mapping?.name ? [mapping.name] : NAME_ATTRIBUTES),
      groups: (mapping?.groups ? [mapping.groups] : GROUP_ATTRIBUTES).flatMap(
        (name) => assertion.attributes.get(name) ?? [],
      ),
      mfa: samlShowsMfa(assertion.authnContextClasses),
    };
  }

  private async samlFor(
    connection: LoadedConnection,
    options: { requestId?: string; envelopeSigned?: boolean },
  ): Promise<SAML> {
    const settings = connection.saml;
    if (!settings) throw AppError.notFound();
    const { SAML, ValidateInResponseTo } = await loadNodeSaml();
    const urls = ssoUrls(this.config.http.publicUrl, connection);
    const spEntityId = urls.spEntityId ?? '';
    return new SAML({
      issuer: spEntityId,
      audience: spEntityId,
      callbackUrl: urls.acsUrl ?? '',
      entryPoint: settings.ssoUrl,
      idpCert: settings.certificates,
      idpIssuer: settings.idpEntityId,
      // Overrides of node-saml's defaults (STACK.md): the assertion must be signed, a signed
      // envelope must verify too, InResponseTo is always required, clocks may differ by
      // seconds only, and nothing of ours is signed with SHA-1.
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: options.envelopeSigned ?? false,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: REQUEST_TTL_MS,
      cacheProvider: new SamlRequestCache(this.store, connection.id),
      acceptedClockSkewMs: CLOCK_SKEW_MS,
      maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      identifierFormat: NAMEID_UNSPECIFIED,
      // A requested AuthnContext makes IdPs refuse users who signed in with MFA or Kerberos.
      disableRequestedAuthnContext: true,
      authnRequestBinding: 'HTTP-Redirect',
      ...(options.requestId ? { generateUniqueId: () => options.requestId ?? '' } : {}),
    });
  }

  private async connection(connectionId: string): Promise<LoadedConnection> {
    const connection = await this.connections.findById(connectionId);
    if (!connection || connection.type !== 'saml' || !connection.saml) throw AppError.notFound();
    return connection;
  }
}

/** A stable audit reason from node-saml's error message. */
function classify(message: string): string {
  if (/InResponseTo/i.test(message)) return 'in_response_to';
  if (/signature/i.test(message)) return 'invalid_signature';
  // node-saml picks a subject confirmation by its time window: none valid means expired.
  if (/expired|not yet valid|too old|no valid subject confirmation/i.test(message)) {
    return 'assertion_time';
  }
  if (/audience/i.test(message)) return 'audience_mismatch';
  if (/subject confirmation/i.test(message)) return 'subject_confirmation';
  return 'invalid_response';
}
