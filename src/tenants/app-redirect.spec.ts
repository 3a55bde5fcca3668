import { describe, expect, it } from 'vitest';
import { AppError } from '../common/errors/app-error';
import { assertAllowedRedirect, redirectEntryProblem, redirectWith } from './app-redirect';

const ALLOWLIST = ['https://app.example.com/auth/callback', 'http://localhost:5173/cb'];

function refused(value: unknown, allowlist = ALLOWLIST, tenant: string[] | null = null): boolean {
  try {
    assertAllowedRedirect(value, allowlist, tenant);
    return false;
  } catch (error) {
    return error instanceof AppError && error.status === 400;
  }
}

describe('assertAllowedRedirect (SPEC §13: equal to an entry once the query string is removed)', () => {
  it('accepts an entry exactly, with or without a query string', () => {
    for (const uri of [
      'https://app.example.com/auth/callback',
      'https://app.example.com/auth/callback?next=/x',
      'https://APP.example.com:443/auth/callback',
      'http://localhost:5173/cb?a=1&b=2',
    ]) {
      expect(refused(uri), uri).toBe(false);
    }
    expect(assertAllowedRedirect('http://localhost:5173/cb?state=xyz', ALLOWLIST)).toBe(
      'http://localhost:5173/cb?state=xyz',
    );
  });

  it('refuses anything else: other hosts, paths, schemes, ports, fragments, credentials', () => {
    for (const uri of [
      undefined,
      42,
      'https://app.example.com/auth/callback/',
      'https://app.example.com/auth/callback2',
      'https://app.example.com/auth/Callback',
      'https://app.example.com/auth',
      'https://app.example.com.evil.com/auth/callback',
      'https://evil.com/?https://app.example.com/auth/callback',
      'http://app.example.com/auth/callback',
      'https://app.example.com:8443/auth/callback',
      'https://app.example.com/auth/callback#frag',
      'https://user:pw@app.example.com/auth/callback',
      'https://app.example.com@evil.com/auth/callback',
      'http://localhost:5174/cb',
      'javascript://app.example.com/auth/callback',
      '//app.example.com/auth/callback',
      '/auth/callback',
      'not a url',
      '',
      `https://app.example.com/auth/callback?${'a'.repeat(3000)}`,
    ]) {
      expect(refused(uri), String(uri)).toBe(true);
    }
  });

  it('refuses everything when the allowlist is empty', () => {
    expect(refused('https://app.example.com/auth/callback', [])).toBe(true);
  });

  it("narrows to the tenant's list, and never widens past the instance's", () => {
    const tenant = ['http://localhost:5173/cb', 'https://other.example.com/cb'];
    expect(refused('http://localhost:5173/cb?x=1', ALLOWLIST, tenant)).toBe(false);
    expect(refused('https://app.example.com/auth/callback', ALLOWLIST, tenant)).toBe(true);
    expect(refused('https://other.example.com/cb', ALLOWLIST, tenant)).toBe(true);
    expect(refused('http://localhost:5173/cb', ALLOWLIST, [])).toBe(true);
  });
});

describe('redirectEntryProblem', () => {
  it('takes absolute http(s) URLs without query, fragment or credentials', () => {
    expect(redirectEntryProblem('https://app.example.com/cb')).toBeNull();
    for (const entry of [
      '/cb',
      'ftp://app.example.com/cb',
      'https://app.example.com/cb?x=1',
      'https://app.example.com/cb#x',
      'https://u:p@app.example.com/cb',
      `https://app.example.com/${'a'.repeat(2100)}`,
    ]) {
      expect(redirectEntryProblem(entry), entry).not.toBeNull();
    }
  });
});

describe('redirectWith', () => {
  it('adds parameters and keeps the app’s own', () => {
    expect(redirectWith('https://app.example.com/cb?next=%2Fx', { code: 'abc' })).toBe(
      'https://app.example.com/cb?next=%2Fx&code=abc',
    );
  });

  it('drops result parameters the app URI already carried (a planted code)', () => {
    expect(
      redirectWith('https://app.example.com/cb?code=planted&x=1&error=no', {
        error: 'access_denied',
      }),
    ).toBe('https://app.example.com/cb?x=1&error=access_denied');
    expect(redirectWith('https://app.example.com/cb?code=planted', { code: 'ours' })).toBe(
      'https://app.example.com/cb?code=ours',
    );
  });
});
