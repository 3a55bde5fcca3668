import { describe, expect, it } from 'vitest';
import { assertedEmail } from './asserted-email';

describe('assertedEmail', () => {
  it('lower-cases and trims an address with a dotted domain', () => {
    expect(assertedEmail('  Olivia@Acme.COM ')).toBe('olivia@acme.com');
    expect(assertedEmail('a@b.c')).toBe('a@b.c');
  });

  it('refuses what is not one address with a dotted domain', () => {
    for (const value of [
      '',
      'acme.com',
      '@acme.com',
      'a@',
      'a@b',
      'a@.c',
      'a@b.',
      'a@b@c.d',
      'a b@c.d',
    ]) {
      expect(assertedEmail(value), value).toBeNull();
    }
    expect(assertedEmail(null)).toBeNull();
    expect(assertedEmail(undefined)).toBeNull();
  });

  it('refuses an address over 254 characters, and the shape that made the old pattern quadratic', () => {
    expect(assertedEmail(`${'a'.repeat(250)}@b.co`)).toBeNull();
    expect(assertedEmail(`a@${'.'.repeat(80_000)} `)).toBeNull();
  });
});
