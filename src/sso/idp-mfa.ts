/**
 * Which signed IdP statements count as "the user passed a second factor", for connections an
 * owner marked `idpEnforcesMfa`. Only values whose definition requires more than one factor:
 * a password, a single hardware token or Kerberos do not count.
 */

/** SAML `AuthnContextClassRef` values read from the signed assertion's AuthnStatement. */
export const SAML_MFA_CONTEXT_CLASSES: readonly string[] = [
  // REFEDS Multi-Factor Authentication Profile (https://refeds.org/profile/mfa).
  'https://refeds.org/profile/mfa',
  // Microsoft Entra ID / AD FS: "the user performed multi-factor authentication".
  'http://schemas.microsoft.com/claims/multipleauthn',
  // SAML 2.0 Authentication Context (saml-authn-context-2.0-os §3.4.4, §3.4.5): two factors.
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
];

/** OIDC `acr` values (OIDC Core §2) that name a multi-factor policy. */
export const OIDC_MFA_ACR_VALUES: readonly string[] = [
  // The REFEDS MFA profile applies to OIDC `acr` as well.
  'https://refeds.org/profile/mfa',
  // OpenID PAPE multi-factor policies, which several IdPs reuse as `acr` values.
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical',
];

/** Whether any of the signed assertion's AuthnContextClassRefs shows a second factor. */
export function samlShowsMfa(contextClasses: readonly string[]): boolean {
  return contextClasses.some((value) => SAML_MFA_CONTEXT_CLASSES.includes(value.trim()));
}

/** Whether validated ID token claims show a second factor: RFC 8176 `amr: ["mfa", …]`, or an MFA `acr`. */
export function oidcShowsMfa(claims: Readonly<Record<string, unknown>>): boolean {
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  if (amr.some((method) => method === 'mfa')) return true;
  return typeof claims.acr === 'string' && OIDC_MFA_ACR_VALUES.includes(claims.acr);
}
