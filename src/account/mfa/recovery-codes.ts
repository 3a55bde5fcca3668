import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../common/crypto/tokens';

/** 32 symbols without the look-alikes 0/O and 1/I: each character carries 5 bits. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const LENGTH = 16;
export const RECOVERY_CODE_COUNT = 10;

/**
 * A recovery code: 16 symbols (80 random bits), shown as four groups. 80 bits put the stored
 * SHA-256 beyond brute force, so a fast hash is enough and checking a code costs no argon2.
 */
export function newRecoveryCode(): string {
  const bytes = randomBytes(LENGTH);
  // 256 is a multiple of 32: taking 5 bits of each byte is unbiased.
  const symbols = [...bytes].map((byte) => ALPHABET[byte & 31] ?? '').join('');
  return symbols.match(/.{4}/g)?.join('-') ?? symbols;
}

/** The canonical form of what a user typed (case, spaces and dashes ignored), or null. */
export function normaliseRecoveryCode(input: string): string | null {
  const compact = input.replace(/[\s-]/g, '').toUpperCase();
  if (compact.length !== LENGTH) return null;
  for (const char of compact) if (!ALPHABET.includes(char)) return null;
  return compact;
}

/** Salted with the user id, so equal codes of two users never share a hash. */
export function hashRecoveryCode(userId: string, normalised: string): string {
  return sha256Hex(`${userId}:${normalised}`);
}
