import { describe, expect, it } from 'vitest';
import { assertUpstreamUrl, emailDomain, normaliseDomains } from './connection-settings';

describe('normaliseDomains', () => {
  it('lower-cases, trims, drops a trailing dot and duplicates', () => {
    expect(normaliseDomains([' Acme.COM ', 'acme.com.', 'eu.acme.com'])).toEqual([
      'acme.com',
      'eu.acme.com',
    ]);
  });

  it('refuses what is not a DNS name with a TLD', () => {
    for (const bad of [
      '',
      'acme',
      'acme..com',
      '-acme.com',
      'acme.com/x',
      'a@b.com',
      '*.acme.com',
      'acme.123',
    ]) {
      expect(() => normaliseDomains([bad]), bad).toThrow();
    }
  });
});

describe('emailDomain', () => {
  it('is the part after the last @, lower-cased', () => {
    expect(emailDomain('Ada@ACME.com')).toBe('acme.com');
    expect(emailDomain('"a@b"@acme.com')).toBe('acme.com');
    expect(emailDomain('nodomain@')).toBeNull();
    expect(emailDomain('plain')).toBeNull();
  });
});

describe('assertUpstreamUrl', () => {
  it('accepts https, and http on loopback only', () => {
    expect(assertUpstreamUrl('https://idp.example.com/sso')).toBe('https://idp.example.com/sso');
    expect(assertUpstreamUrl('http://127.0.0.1:4000/oidc', { issuer: true })).toBeTruthy();
    expect(assertUpstreamUrl('http://localhost:4000')).toBeTruthy();
  });

  it('refuses plain http elsewhere, other schemes, credentials, fragments, issuer queries', () => {
    expect(() => assertUpstreamUrl('http://idp.example.com/sso')).toThrow();
    expect(() => assertUpstreamUrl('file:///etc/passwd')).toThrow();
    expect(() => assertUpstreamUrl('javascript:alert(1)')).toThrow();
    expect(() => assertUpstreamUrl('https://user:pw@idp.example.com')).toThrow();
    expect(() => assertUpstreamUrl('https://idp.example.com/#x')).toThrow();
    expect(() => assertUpstreamUrl('https://idp.example.com/?a=1', { issuer: true })).toThrow();
    expect(() => assertUpstreamUrl('not a url')).toThrow();
  });
});
