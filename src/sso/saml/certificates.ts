import { X509Certificate } from 'node:crypto';

export const MAX_CERTIFICATES = 5;
const MIN_RSA_BITS = 2048;

/**
 * Normalises an IdP signing certificate (PEM, or the bare base64 DER that metadata carries) to
 * PEM. Only RSA keys of at least 2048 bits are accepted: they are what XML signatures with
 * RSA-SHA256 verify against. Expiry is not checked: SAML pins the certificate, and IdPs commonly
 * keep signing with long-expired self-signed ones; rollover uses `additionalCertificates`.
 * Throws an Error whose message can be shown to the admin.
 */
export function normaliseCertificate(input: string): string {
  const body = input
    .replace(/-----BEGIN CERTIFICATE-----/g, '')
    .replace(/-----END CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  if (body === '' || !/^[A-Z0-9+/]+={0,2}$/i.test(body)) {
    throw new Error('must be a PEM or base64 X.509 certificate');
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(body, 'base64'));
  } catch {
    throw new Error('is not a valid X.509 certificate');
  }
  const key = certificate.publicKey;
  if (key.asymmetricKeyType !== 'rsa') throw new Error('must hold an RSA public key');
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new Error(`must hold an RSA key of at least ${MIN_RSA_BITS} bits`);
  }
  return certificate.toString().trim();
}
