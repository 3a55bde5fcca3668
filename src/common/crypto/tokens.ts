import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 256-bit random secret, URL-safe: refresh tokens, one-time codes, reset links, API keys. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * How high-entropy secrets are stored. A slow hash adds nothing against guessing 256 bits and
 * would put argon2 on every token request.
 */
export function sha256Hex(value: string): string {
  // The one-shot form: no Hash object per call, on every token and key lookup.
  return hash('sha256', value, 'hex');
}

/**
 * Constant-time comparison of two strings of any length: both are hashed first, so the
 * comparison sees equal lengths and reveals neither the length nor a prefix.
 */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}
