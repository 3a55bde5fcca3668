import { describe, expect, it } from 'vitest';
import { AppError } from '../../common/errors/app-error';
import { readCodeChallenge, verifierMatches } from './pkce';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

function fieldOf(challenge: unknown, method: unknown): string | undefined {
  try {
    readCodeChallenge(challenge, method);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).status === 400
      ? JSON.stringify((error as AppError).errors)
      : 'not a 400';
  }
}

describe('readCodeChallenge', () => {
  it('takes an S256 challenge, with or without the method, and nothing at all', () => {
    expect(readCodeChallenge(CHALLENGE, undefined)).toBe(CHALLENGE);
    expect(readCodeChallenge(CHALLENGE, 'S256')).toBe(CHALLENGE);
    expect(readCodeChallenge(undefined, undefined)).toBeUndefined();
  });

  it('refuses plain and other methods, a method alone, and malformed challenges', () => {
    expect(fieldOf(CHALLENGE, 'plain')).toContain('code_challenge_method');
    expect(fieldOf(CHALLENGE, 's256')).toContain('code_challenge_method');
    expect(fieldOf(undefined, 'S256')).toContain('"code_challenge"');
    for (const bad of ['', 'short', `${CHALLENGE.slice(0, 42)}=`, 'a'.repeat(129), [CHALLENGE]]) {
      expect(fieldOf(bad, undefined), String(bad)).toContain('"code_challenge"');
    }
  });
});

describe('verifierMatches', () => {
  it('matches the RFC 7636 example and nothing else', () => {
    expect(verifierMatches(VERIFIER, CHALLENGE)).toBe(true);
    expect(verifierMatches(`${VERIFIER.slice(0, -1)}t`, CHALLENGE)).toBe(false);
    expect(verifierMatches(CHALLENGE, CHALLENGE)).toBe(false);
    expect(verifierMatches('short', CHALLENGE)).toBe(false);
  });
});
