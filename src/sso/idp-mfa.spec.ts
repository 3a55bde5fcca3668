import { describe, expect, it } from 'vitest';
import { oidcShowsMfa, samlShowsMfa } from './idp-mfa';

describe('MFA evidence from an IdP', () => {
  it('SAML: MFA context classes count, password and single-factor classes do not', () => {
    expect(samlShowsMfa(['https://refeds.org/profile/mfa'])).toBe(true);
    expect(samlShowsMfa(['http://schemas.microsoft.com/claims/multipleauthn'])).toBe(true);
    expect(samlShowsMfa(['urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract'])).toBe(
      true,
    );
    expect(
      samlShowsMfa(['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport']),
    ).toBe(false);
    expect(samlShowsMfa(['https://refeds.org/profile/sfa'])).toBe(false);
    expect(samlShowsMfa(['urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos'])).toBe(false);
    expect(samlShowsMfa([])).toBe(false);
  });

  it('SAML: a look-alike value is no match', () => {
    expect(samlShowsMfa(['https://refeds.org/profile/mfa-not'])).toBe(false);
    expect(samlShowsMfa(['HTTPS://REFEDS.ORG/PROFILE/MFA'])).toBe(false);
  });

  it('OIDC: amr with "mfa" (RFC 8176) or an MFA acr counts; pwd, otp alone or junk do not', () => {
    expect(oidcShowsMfa({ amr: ['pwd', 'mfa'] })).toBe(true);
    expect(oidcShowsMfa({ acr: 'https://refeds.org/profile/mfa' })).toBe(true);
    expect(oidcShowsMfa({ amr: ['pwd'] })).toBe(false);
    expect(oidcShowsMfa({ amr: 'mfa' })).toBe(false);
    expect(oidcShowsMfa({ acr: '1' })).toBe(false);
    expect(oidcShowsMfa({})).toBe(false);
  });
});
