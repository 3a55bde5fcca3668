import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

/** A signing key and self-signed certificate made with the openssl CLI, in a temp dir. */
export interface IdpKeys {
  privateKey: string;
  certificate: string;
}

const temporaryDirs: string[] = [];

export function createIdpKeys(commonName = 'Gatehouse test IdP', bits = 2048): IdpKeys {
  const dir = mkdtempSync(join(tmpdir(), 'gh-saml-idp-'));
  temporaryDirs.push(dir);
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      `rsa:${bits}`,
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { privateKey: readFileSync(keyFile, 'utf8'), certificate: readFileSync(certFile, 'utf8') };
}

export function removeIdpKeys(): void {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export function samlId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export interface AssertionOptions {
  idpEntityId: string;
  /** Our SP entity ID. */
  audience: string;
  /** Our ACS URL. */
  recipient: string;
  /** SubjectConfirmationData/@InResponseTo; null leaves it out. */
  inResponseTo: string | null;
  nameId: string;
  nameIdFormat?: string;
  attributes?: Record<string, string | string[]>;
  id?: string;
  issuer?: string;
  issueInstant?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** AuthnContextClassRef of the AuthnStatement: how the IdP says the user authenticated. */
  authnContextClassRef?: string;
}

export const PASSWORD_PROTECTED_TRANSPORT =
  'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
/** REFEDS MFA profile: the user passed a second factor at the IdP. */
export const REFEDS_MFA = 'https://refeds.org/profile/mfa';

/** A SAML 2.0 assertion as an IdP writes one (unsigned; sign it in its Response). */
export function buildAssertion(options: AssertionOptions): string {
  const now = new Date();
  const issueInstant = options.issueInstant ?? now;
  const notBefore = options.notBefore ?? new Date(now.getTime() - 30_000);
  const notOnOrAfter = options.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
  const attributes = Object.entries(options.attributes ?? {})
    .map(([name, value]) => {
      const values = (Array.isArray(value) ? value : [value])
        .map((v) => `<saml:AttributeValue>${escapeXml(v)}</saml:AttributeValue>`)
        .join('');
      return `<saml:Attribute Name="${escapeXml(name)}">${values}</saml:Attribute>`;
    })
    .join('');
  const inResponseTo =
    options.inResponseTo === null ? '' : ` InResponseTo="${options.inResponseTo}"`;
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${options.id ?? samlId()}" Version="2.0" IssueInstant="${iso(issueInstant)}">` +
    `<saml:Issuer>${escapeXml(options.issuer ?? options.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${options.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'}">${escapeXml(options.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${escapeXml(options.recipient)}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${escapeXml(options.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(issueInstant)}" SessionIndex="${samlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>${escapeXml(options.authnContextClassRef ?? PASSWORD_PROTECTED_TRANSPORT)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

export interface ResponseOptions {
  idpEntityId: string;
  destination: string;
  /** Response/@InResponseTo; null leaves it out. */
  inResponseTo: string | null;
  /** The inner XML: one assertion, or whatever an attack needs there. */
  body: string;
  id?: string;
}

export function buildResponse(options: ResponseOptions): string {
  const inResponseTo =
    options.inResponseTo === null ? '' : ` InResponseTo="${options.inResponseTo}"`;
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${options.id ?? samlId()}" Version="2.0" IssueInstant="${iso(new Date())}" Destination="${escapeXml(options.destination)}"${inResponseTo}>` +
    `<saml:Issuer>${escapeXml(options.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    options.body +
    `</samlp:Response>`
  );
}

export interface SignOptions {
  keys: IdpKeys;
  algorithm?: typeof RSA_SHA256 | typeof RSA_SHA1;
}

function sign(xml: string, target: string, options: SignOptions): string {
  const sha1 = options.algorithm === RSA_SHA1;
  const signer = new SignedXml({
    privateKey: options.keys.privateKey,
    publicCert: options.keys.certificate,
    signatureAlgorithm: options.algorithm ?? RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signer.addReference({
    xpath: target,
    digestAlgorithm: sha1 ? SHA1 : SHA256,
    transforms: [ENVELOPED, EXC_C14N],
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return signer.getSignedXml();
}

const ASSERTION_IN_RESPONSE = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";

/** Signs the (first) assertion of a Response, enveloped, after its Issuer, as IdPs do. */
export function signAssertion(responseXml: string, options: SignOptions): string {
  return sign(responseXml, ASSERTION_IN_RESPONSE, options);
}

/** Signs the Response envelope. */
export function signResponse(responseXml: string, options: SignOptions): string {
  return sign(responseXml, "/*[local-name(.)='Response']", options);
}

/** Signs a standalone assertion document (for wrapping attacks that move it around). */
export function signStandaloneAssertion(assertionXml: string, options: SignOptions): string {
  return sign(assertionXml, "/*[local-name(.)='Assertion']", options);
}

export function encode(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

/** The AuthnRequest a login redirect carries (redirect binding: deflated, base64). */
export function readAuthnRequest(location: string): { id: string; xml: string } {
  const url = new URL(location);
  const encoded = url.searchParams.get('SAMLRequest');
  if (!encoded) throw new Error('No SAMLRequest in the redirect');
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  const id = /\sID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error('No ID in the AuthnRequest');
  return { id, xml };
}
