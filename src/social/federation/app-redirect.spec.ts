import { describe, expect, it } from 'vitest';
import { allowedRedirect, redirectWith } from './app-redirect';

const ALLOWLIST = ['https://app.example.com/auth/callback', 'http://localhost:5173/cb'];

describe('allowedRedirect (SPEC §13: equal to an entry once the query string is removed)', () => {
  it('accepts an entry exactly, with or without a query string', () => {
    for (const uri of [
      'https://app.example.com/auth/callback',
      'https://app.example.com/auth/callback?next=/x',
      'https://APP.example.com:443/auth/callback',
      'http://localhost:5173/cb?a=1&b=2',
    ]) {
      expect(allowedRedirect(uri, ALLOWLIST), uri).not.toBeNull();
    }
  });

  it('refuses anything else: other hosts, paths, schemes, ports, fragments, credentials', () => {
    for (const uri of [
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
      'http://localhost:5174/cb',
      'javascript://app.example.com/auth/callback',
      '//app.example.com/auth/callback',
      '/auth/callback',
      'not a url',
      '',
    ]) {
      expect(allowedRedirect(uri, ALLOWLIST), uri).toBeNull();
    }
  });

  it('refuses everything when the allowlist is empty', () => {
    expect(allowedRedirect('https://app.example.com/auth/callback', [])).toBeNull();
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
