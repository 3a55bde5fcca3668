import { describe, expect, it } from 'vitest';
import { changedTrustFields, TRUST_FIELDS, type TrustState } from './sso-trust';

const BASE: TrustState = {
  domains: ['a.example', 'b.example'],
  jitProvisioning: false,
  idpEnforcesMfa: false,
  defaultRoleIds: ['r1', 'r2'],
  attributeMapping: null,
  saml: { idpEntityId: 'https://idp', ssoUrl: 'https://idp/sso', certificates: ['c1'] },
  oidc: null,
};

describe('changedTrustFields', () => {
  it('is empty when nothing that decides whom the connection signs in changed', () => {
    const reordered = {
      ...BASE,
      domains: ['b.example', 'a.example'],
      defaultRoleIds: ['r2', 'r1'],
    };
    expect(changedTrustFields(BASE, reordered, false)).toEqual([]);
  });

  it('names each changed setting, certificates as one field', () => {
    const after: TrustState = {
      ...BASE,
      domains: ['a.example'],
      jitProvisioning: true,
      idpEnforcesMfa: true,
      attributeMapping: { email: 'mail' },
      saml: { ...BASE.saml!, certificates: ['c2', 'c1'] },
    };
    expect(changedTrustFields(BASE, after, false)).toEqual([
      'domains',
      'jitProvisioning',
      'idpEnforcesMfa',
      'attributeMapping',
      'saml.certificates',
    ]);
  });

  it('counts an OIDC client secret given as changed (it is sealed, never compared)', () => {
    const oidc = {
      issuer: 'https://op',
      clientId: 'c',
      clientSecretSealed: 'x',
      scopes: ['openid'],
    };
    const before = { ...BASE, saml: null, oidc };
    const after = { ...before, oidc: { ...oidc, clientSecretSealed: 'y', issuer: 'https://op2' } };
    expect(changedTrustFields(before, after, true)).toEqual(['oidc.issuer', 'oidc.clientSecret']);
    expect(changedTrustFields(before, before, false)).toEqual([]);
  });

  it('lists every trust field once', () => {
    expect(new Set(TRUST_FIELDS).size).toBe(TRUST_FIELDS.length);
  });
});
