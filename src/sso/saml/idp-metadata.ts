import { normaliseCertificate, MAX_CERTIFICATES } from './certificates';
import { childElements, firstChild, NS, parseXmlStrictly, textOf } from './safe-xml';

export const HTTP_REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface IdpSettingsFromMetadata {
  idpEntityId: string;
  ssoUrl: string;
  certificates: string[];
}

/**
 * Reads what a SAML connection needs from an IdP's metadata document: its entity ID, its
 * single sign-on URL for the HTTP-Redirect binding, and its signing certificates. A DOCTYPE is
 * refused like everywhere else. The metadata's own signature is not checked: the admin who
 * pastes it is the one vouching for it. Throws an Error whose message can be shown.
 */
export async function parseIdpMetadata(xml: string): Promise<IdpSettingsFromMetadata> {
  const doc = await parseXmlStrictly(xml);
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== NS.metadata) {
    throw new Error('is not SAML 2.0 metadata');
  }
  const candidates =
    root.localName === 'EntityDescriptor'
      ? [root]
      : root.localName === 'EntitiesDescriptor'
        ? Array.from(root.getElementsByTagNameNS(NS.metadata, 'EntityDescriptor'))
        : [];
  const idps = candidates.filter((entity) =>
    childElements(entity, NS.metadata, 'IDPSSODescriptor').some((descriptor) =>
      (descriptor.getAttribute('protocolSupportEnumeration') ?? '')
        .split(/\s+/)
        .includes(NS.protocol),
    ),
  );
  if (idps.length !== 1) {
    throw new Error('must describe exactly one SAML 2.0 identity provider');
  }
  const entity = idps[0];
  const idpEntityId = entity.getAttribute('entityID')?.trim();
  if (!idpEntityId) throw new Error('has no entityID');
  const descriptor = firstChild(entity, NS.metadata, 'IDPSSODescriptor');
  if (!descriptor) throw new Error('has no IDPSSODescriptor');

  const redirect = childElements(descriptor, NS.metadata, 'SingleSignOnService').find(
    (service) => service.getAttribute('Binding') === HTTP_REDIRECT_BINDING,
  );
  const ssoUrl = redirect?.getAttribute('Location')?.trim();
  if (!ssoUrl) throw new Error('has no SingleSignOnService for the HTTP-Redirect binding');

  const certificates: string[] = [];
  for (const keyDescriptor of childElements(descriptor, NS.metadata, 'KeyDescriptor')) {
    const use = keyDescriptor.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const element of Array.from(
      keyDescriptor.getElementsByTagNameNS(NS.ds, 'X509Certificate'),
    )) {
      const text = textOf(element);
      if (!text) continue;
      const pem = normaliseCertificate(text);
      if (!certificates.includes(pem)) certificates.push(pem);
    }
  }
  if (certificates.length === 0) throw new Error('has no signing certificate');
  if (certificates.length > MAX_CERTIFICATES) {
    throw new Error(`has more than ${MAX_CERTIFICATES} signing certificates`);
  }
  return { idpEntityId, ssoUrl, certificates };
}
