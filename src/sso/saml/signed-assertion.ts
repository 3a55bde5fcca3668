import type { Element } from '@xmldom/xmldom';
import { SsoRefusal } from '../sso-refusal';
import { childElements, firstChild, NS, parseXmlStrictly, textOf } from './safe-xml';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export interface SignedAssertion {
  id: string;
  issuer: string | null;
  issueInstant: Date;
  /** Conditions/@NotOnOrAfter. */
  notOnOrAfter: Date | null;
  nameId: string | null;
  nameIdFormat: string | null;
  bearerConfirmations: {
    recipient: string | null;
    inResponseTo: string | null;
    notOnOrAfter: Date | null;
  }[];
  /** Attribute name → its text values. */
  attributes: Map<string, string[]>;
  /** AuthnStatement/AuthnContext/AuthnContextClassRef values: how the IdP authenticated the user. */
  authnContextClasses: string[];
}

/**
 * Reads the assertion from the bytes the signature covered (node-saml hands them back after
 * verification), never from the document as received: whatever was added around or inside
 * the signed part after signing cannot reach this point.
 */
export async function readSignedAssertion(xml: string): Promise<SignedAssertion> {
  const root = (await parseXmlStrictly(xml)).documentElement;
  if (!root || root.localName !== 'Assertion' || root.namespaceURI !== NS.assertion) {
    throw new SsoRefusal('invalid_response', 'The signed data is not an assertion');
  }
  const id = root.getAttribute('ID');
  const issueInstant = date(root.getAttribute('IssueInstant'));
  if (!id || !issueInstant)
    throw new SsoRefusal('invalid_response', 'The assertion has no ID or IssueInstant');

  const conditions = firstChild(root, NS.assertion, 'Conditions');
  const subject = firstChild(root, NS.assertion, 'Subject');
  const nameIdElement = subject ? firstChild(subject, NS.assertion, 'NameID') : null;
  const bearerConfirmations = (
    subject ? childElements(subject, NS.assertion, 'SubjectConfirmation') : []
  )
    .filter((confirmation) => confirmation.getAttribute('Method') === BEARER)
    .map((confirmation) => {
      const data = firstChild(confirmation, NS.assertion, 'SubjectConfirmationData');
      return {
        recipient: data?.getAttribute('Recipient') ?? null,
        inResponseTo: data?.getAttribute('InResponseTo') ?? null,
        notOnOrAfter: date(data?.getAttribute('NotOnOrAfter') ?? null),
      };
    });

  const attributes = new Map<string, string[]>();
  for (const statement of childElements(root, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) continue;
      const values = childElements(attribute, NS.assertion, 'AttributeValue')
        .map((value: Element) => textOf(value))
        .filter((value): value is string => value !== null);
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  }

  const authnContextClasses = childElements(root, NS.assertion, 'AuthnStatement')
    .map((statement) => firstChild(statement, NS.assertion, 'AuthnContext'))
    .map((context) =>
      textOf(context ? firstChild(context, NS.assertion, 'AuthnContextClassRef') : null),
    )
    .filter((value): value is string => value !== null);

  return {
    id,
    issuer: textOf(firstChild(root, NS.assertion, 'Issuer')),
    issueInstant,
    notOnOrAfter: date(conditions?.getAttribute('NotOnOrAfter') ?? null),
    nameId: textOf(nameIdElement),
    nameIdFormat: nameIdElement?.getAttribute('Format') ?? null,
    bearerConfirmations,
    attributes,
    authnContextClasses,
  };
}

function date(value: string | null): Date | null {
  if (!value) return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}
