import type { Element } from '@xmldom/xmldom';
import { SsoRefusal } from '../sso-refusal';
import {
  allElements,
  childElements,
  firstChild,
  NS,
  parseXmlStrictly,
  textOf,
  UnsafeXmlError,
} from './safe-xml';

/** SHA-256 or stronger: SHA-1 signatures and digests are refused (SPEC §10). */
const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
/** Canonicalisation without comments only: "#WithComments" would keep what we refuse anyway. */
const CANONICALIZATION_ALGORITHMS = new Set([
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
]);
const TRANSFORMS = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  ...CANONICALIZATION_ALGORITHMS,
]);
const ID_ATTRIBUTES = ['ID', 'Id', 'id'];
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
/** The DTO's limit on `SAMLResponse`: base64 of a response that fits in the 100 kB body limit. */
export const MAX_ENCODED_RESPONSE_LENGTH = 140_000;
/** Line breaks and spaces IdPs insert into base64; removed before the alphabet is checked. */
const BASE64_WHITESPACE = /[\t\n\r ]+/g;
/**
 * Whitespace is gone by the time this runs, so no two parts of the pattern can match the same
 * character: matching is linear. (`[A-Za-z0-9+/\s]+={0,2}\s*` backtracked quadratically on a
 * run of whitespace: one 95 kB anonymous post held the event loop for 3 s.)
 */
const BASE64 = /^[\d+/a-z]*={0,2}$/i;

/** The base64 text of a posted SAMLResponse without its whitespace, or null when it is not base64. */
export function compactBase64(encoded: string): string | null {
  if (encoded.length > MAX_ENCODED_RESPONSE_LENGTH) return null;
  const compact = encoded.replace(BASE64_WHITESPACE, '');
  return compact.length > 0 && compact.length % 4 === 0 && BASE64.test(compact) ? compact : null;
}

export interface InspectedSamlResponse {
  /** The decoded document, exactly as received: signatures are verified over it. */
  xml: string;
  /** The Response itself carries a signature, which must then verify too. */
  envelopeSigned: boolean;
  /** Unsigned envelope attributes, checked against the signed assertion later. */
  inResponseTo: string | null;
  destination: string | null;
  issuer: string | null;
}

/**
 * The structural checks made on a SAML response before node-saml verifies its signatures, so
 * that what node-saml verifies is the only thing there is to read:
 *
 * - no DOCTYPE, entity, comment or processing instruction (checked on the text, before parsing);
 * - a `samlp:Response` root holding exactly one `saml:Assertion` as a direct child, and no other
 *   element named Assertion (or EncryptedAssertion) anywhere: moved, duplicated and nested
 *   assertions of signature-wrapping attacks are refused outright;
 * - the assertion signed by exactly one enveloped signature, the response by at most one, and no
 *   Signature anywhere else; each with one Reference to its parent's ID, SHA-256 (or stronger)
 *   digest and RSA signature, and only the enveloped-signature and C14N transforms;
 * - ID attributes unique in the document; status Success.
 */
export async function inspectSamlResponse(encoded: string): Promise<InspectedSamlResponse> {
  const compact = compactBase64(encoded);
  if (compact === null) throw new SsoRefusal('malformed_response', 'SAMLResponse is not base64');
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
  } catch {
    throw new SsoRefusal('malformed_response', 'SAMLResponse is not UTF-8');
  }
  let root: Element;
  try {
    const parsed = (await parseXmlStrictly(xml)).documentElement;
    if (!parsed) throw new SsoRefusal('malformed_response', 'No document element');
    root = parsed;
  } catch (error) {
    if (error instanceof UnsafeXmlError) throw new SsoRefusal(error.reason, error.message);
    throw error;
  }

  if (root.localName !== 'Response' || root.namespaceURI !== NS.protocol) {
    throw new SsoRefusal('malformed_response', 'The document is not a SAML 2.0 Response');
  }
  if (root.getAttribute('Version') !== '2.0') {
    throw new SsoRefusal('malformed_response', 'The Response is not SAML 2.0');
  }
  const elements = allElements(root);

  const assertions = elements.filter(
    (element) => element.localName === 'Assertion' || element.localName === 'EncryptedAssertion',
  );
  const assertion = childElements(root, NS.assertion, 'Assertion')[0];
  if (assertions.length === 0)
    throw new SsoRefusal('no_assertion', 'The Response has no assertion');
  if (assertions.some((element) => element.localName === 'EncryptedAssertion')) {
    throw new SsoRefusal('encrypted_assertion', 'Encrypted assertions are not supported');
  }
  if (assertions.length !== 1 || !assertion || assertions[0] !== assertion) {
    throw new SsoRefusal('assertion_wrapping', 'The Response must hold exactly one assertion');
  }

  const ids = new Set<string>();
  for (const element of elements) {
    for (const name of ID_ATTRIBUTES) {
      const id = element.getAttribute(name);
      if (id === null) continue;
      if (ids.has(id)) throw new SsoRefusal('duplicate_id', 'An ID appears twice');
      ids.add(id);
    }
  }

  const signatures = elements.filter((element) => element.localName === 'Signature');
  const assertionSignatures = childElements(assertion, NS.ds, 'Signature');
  const envelopeSignatures = childElements(root, NS.ds, 'Signature');
  if (assertionSignatures.length !== 1) {
    throw new SsoRefusal('assertion_unsigned', 'The assertion must carry exactly one signature');
  }
  if (envelopeSignatures.length > 1) {
    throw new SsoRefusal('signature_wrapping', 'The Response carries more than one signature');
  }
  if (signatures.length !== assertionSignatures.length + envelopeSignatures.length) {
    throw new SsoRefusal('signature_wrapping', 'A signature sits where none belongs');
  }
  for (const signature of signatures) checkSignatureShape(signature);

  const status = firstChild(root, NS.protocol, 'Status');
  const statusCode = status ? firstChild(status, NS.protocol, 'StatusCode') : null;
  if (statusCode?.getAttribute('Value') !== SUCCESS) {
    throw new SsoRefusal('status_not_success', 'The IdP did not answer Success');
  }

  return {
    xml,
    envelopeSigned: envelopeSignatures.length === 1,
    inResponseTo: root.getAttribute('InResponseTo'),
    destination: root.getAttribute('Destination'),
    issuer: textOf(firstChild(root, NS.assertion, 'Issuer')),
  };
}

function checkSignatureShape(signature: Element): void {
  const weak = (what: string) =>
    new SsoRefusal('weak_signature_algorithm', `${what} is not allowed`);
  const parent = signature.parentNode as Element | null;
  const parentId = parent?.getAttribute('ID');
  if (!parentId) throw new SsoRefusal('signature_reference', 'The signed element has no ID');

  const signedInfo = firstChild(signature, NS.ds, 'SignedInfo');
  if (!signedInfo) throw new SsoRefusal('signature_reference', 'The signature has no SignedInfo');
  const canonicalization = firstChild(signedInfo, NS.ds, 'CanonicalizationMethod');
  if (!CANONICALIZATION_ALGORITHMS.has(canonicalization?.getAttribute('Algorithm') ?? '')) {
    throw weak('The canonicalization method');
  }
  const method = firstChild(signedInfo, NS.ds, 'SignatureMethod');
  if (!SIGNATURE_ALGORITHMS.has(method?.getAttribute('Algorithm') ?? '')) {
    throw weak('The signature algorithm');
  }
  const references = childElements(signedInfo, NS.ds, 'Reference');
  if (references.length !== 1 || references[0].getAttribute('URI') !== `#${parentId}`) {
    throw new SsoRefusal('signature_reference', 'The signature must reference its parent only');
  }
  const reference = references[0];
  const transforms = firstChild(reference, NS.ds, 'Transforms');
  for (const transform of transforms ? childElements(transforms, NS.ds, 'Transform') : []) {
    if (!TRANSFORMS.has(transform.getAttribute('Algorithm') ?? '')) throw weak('A transform');
  }
  const digest = firstChild(reference, NS.ds, 'DigestMethod');
  if (!DIGEST_ALGORITHMS.has(digest?.getAttribute('Algorithm') ?? '')) {
    throw weak('The digest algorithm');
  }
}
