import type { Document, Element } from '@xmldom/xmldom';
import { loadOnce } from '../../common/load-once';

/** The XML parser loads with the first SAML document, not at boot (~70 ms and ~1 MB). */
const loadXmldom = loadOnce(() => import('@xmldom/xmldom'));

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export class UnsafeXmlError extends Error {
  constructor(
    readonly reason: 'doctype' | 'xml_comment' | 'processing_instruction' | 'malformed_xml',
    message: string,
  ) {
    super(message);
    this.name = 'UnsafeXmlError';
  }
}

/**
 * Refuses, before any parser sees the text, what SAML never needs and attacks use: a DOCTYPE
 * or any other markup declaration (entity expansion, external entities), comments (they split
 * a NameID's text, so that a naive reader sees `admin@x.com` where the signature covered
 * `admin@x.com.evil.com`), and processing instructions after the XML declaration.
 */
export function assertNoDangerousMarkup(xml: string): void {
  if (/<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(xml)) {
    throw new UnsafeXmlError('doctype', 'The XML has a DOCTYPE or an entity declaration');
  }
  if (xml.includes('<!--')) {
    throw new UnsafeXmlError('xml_comment', 'The XML has a comment');
  }
  const declaration = /^\s*<\?xml\s[^?]*\?>/.exec(xml);
  const rest = declaration ? xml.slice(declaration[0].length) : xml;
  if (rest.includes('<?')) {
    throw new UnsafeXmlError('processing_instruction', 'The XML has a processing instruction');
  }
}

/** Parses XML after `assertNoDangerousMarkup`, stopping at the first warning of the parser. */
export async function parseXmlStrictly(xml: string): Promise<Document> {
  assertNoDangerousMarkup(xml);
  const { DOMParser, onWarningStopParsing } = await loadXmldom();
  try {
    const doc = new DOMParser({ onError: onWarningStopParsing, locator: false }).parseFromString(
      xml,
      'text/xml',
    );
    if (!doc.documentElement) throw new Error('no document element');
    return doc;
  } catch (error) {
    throw new UnsafeXmlError(
      'malformed_xml',
      `The XML is not well formed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Direct child elements with this namespace and local name. */
export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  return Array.from(parent.children).filter(
    (child) => child.namespaceURI === namespace && child.localName === localName,
  );
}

export function firstChild(parent: Element, namespace: string, localName: string): Element | null {
  return childElements(parent, namespace, localName)[0] ?? null;
}

/** Every element of the document, depth first. */
export function allElements(root: Element): Element[] {
  const out: Element[] = [root];
  for (const child of Array.from(root.children)) out.push(...allElements(child));
  return out;
}

/** Trimmed text of an element, or null when it has none. */
export function textOf(element: Element | null): string | null {
  const text = element?.textContent?.trim();
  return text ? text : null;
}
