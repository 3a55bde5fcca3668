import { describe, expect, it } from 'vitest';
import { AppError } from '../common/errors/app-error';
import { assertAllowedRedirect, withQuery } from './app-redirect';

const allowlist = ['https://app.example.com/sso/callback', 'http://localhost:5173/cb'];

function refused(value: unknown): boolean {
  try {
    assertAllowedRedirect(value, allowlist);
    return false;
  } catch (error) {
    return error instanceof AppError && error.status === 400;
  }
}

describe('assertAllowedRedirect', () => {
  it('accepts an entry exactly, or with a query string of the app', () => {
    expect(assertAllowedRedirect('https://app.example.com/sso/callback', allowlist)).toBe(
      'https://app.example.com/sso/callback',
    );
    expect(assertAllowedRedirect('http://localhost:5173/cb?state=xyz', allowlist)).toBe(
      'http://localhost:5173/cb?state=xyz',
    );
  });

  it('refuses anything else: other paths, hosts, prefixes, fragments, userinfo tricks', () => {
    for (const value of [
      undefined,
      '',
      42,
      'https://app.example.com/sso/callback/',
      'https://app.example.com/sso/callbackx',
      'https://app.example.com/sso',
      'https://app.example.com.evil.com/sso/callback',
      'https://evil.com/?https://app.example.com/sso/callback',
      'https://app.example.com/sso/callback#frag',
      'HTTPS://app.example.com/sso/callback',
      'https://app.example.com@evil.com/sso/callback',
      `https://app.example.com/sso/callback?${'a'.repeat(3000)}`,
    ]) {
      expect(refused(value), String(value)).toBe(true);
    }
  });

  it('refuses everything when the allowlist is empty', () => {
    expect(() => assertAllowedRedirect('https://app.example.com/sso/callback', [])).toThrow(
      AppError,
    );
  });
});

describe('withQuery', () => {
  it('adds the code to the query, keeping the app’s parameters and replacing a planted code', () => {
    expect(withQuery('https://app.example.com/cb?state=1&code=planted', { code: 'abc' })).toBe(
      'https://app.example.com/cb?state=1&code=abc',
    );
  });
});
