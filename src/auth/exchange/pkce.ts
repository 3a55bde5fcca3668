import { hash } from 'node:crypto';
import { safeEqual } from '../../common/crypto/tokens';
import { AppError } from '../../common/errors/app-error';

/** RFC 7636 §4.1/§4.2: 43–128 characters of the unreserved set (base64url for S256). */
const CHALLENGE_PATTERN = /^[\w-]{43,128}$/;
const VERIFIER_PATTERN = /^[\w.~-]{43,128}$/;

/**
 * The `code_challenge` an app may give at the start of a social or SSO login, so that the
 * one-time code it gets back is useless without the matching `code_verifier` (RFC 7636 applied
 * to `/v1/auth/exchange`). Only S256: `plain` would put the verifier itself in a URL. Answers
 * undefined when none was given; throws 400 `validation_failed` naming the field otherwise.
 */
export function readCodeChallenge(challenge: unknown, method: unknown): string | undefined {
  if (method !== undefined && method !== 'S256') {
    throw AppError.validation([{ field: 'code_challenge_method', message: 'must be S256' }]);
  }
  if (challenge === undefined) {
    if (method !== undefined) {
      throw AppError.validation([{ field: 'code_challenge', message: 'is required' }]);
    }
    return undefined;
  }
  if (typeof challenge !== 'string' || !CHALLENGE_PATTERN.test(challenge)) {
    throw AppError.validation([
      { field: 'code_challenge', message: 'must be 43-128 base64url characters' },
    ]);
  }
  return challenge;
}

/** Whether `verifier` answers `challenge` under S256, compared in constant time. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER_PATTERN.test(verifier)) return false;
  return safeEqual(hash('sha256', verifier, 'base64url'), challenge);
}
