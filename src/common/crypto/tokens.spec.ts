import { describe, expect, it } from 'vitest';
import { randomSecret, safeEqual, sha256Hex } from './tokens';

describe('token hashing and comparison', () => {
  it('stores SHA-256 of the UTF-8 text, as hex', () => {
    // FIPS 180-2's test vector, and a non-ASCII secret hashed by the earlier implementation.
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex('pässwörd ✓')).toBe(
      'f754375ccc77531a8b1ff6b2e42646a035fe6a5e88c66a2a0842768628bc3af8',
    );
  });

  it('compares strings of any length without throwing', () => {
    const secret = randomSecret();
    expect(safeEqual(secret, secret)).toBe(true);
    expect(safeEqual(secret, `${secret}x`)).toBe(false);
    expect(safeEqual(secret, secret.slice(0, -1))).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('', secret)).toBe(false);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });

  it('draws URL-safe secrets of 256 bits by default', () => {
    const secret = randomSecret();
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(randomSecret()).not.toBe(secret);
    expect(randomSecret(16)).toMatch(/^[\w-]{22}$/);
  });
});
