import { generateSync } from 'otplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { newTotpSecret, totpUri, verifyTotp } from './totp';

describe('TOTP (RFC 6238)', () => {
  let secret: string;
  beforeAll(async () => {
    secret = await newTotpSecret();
  });
  const now = 1_800_000_000;
  const codeAt = (epoch: number): string => generateSync({ secret, epoch });

  it('makes base32 secrets of 160 bits and otpauth URIs apps can read', async () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(await totpUri(secret, 'Acme Inc.', 'ada@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Acme Inc.');
  });

  it('accepts the current code and one step either side, answering its step', async () => {
    const step = Math.floor(now / 30);
    expect(await verifyTotp(secret, codeAt(now), null, now)).toBe(step);
    expect(await verifyTotp(secret, codeAt(now - 30), null, now)).toBe(step - 1);
    expect(await verifyTotp(secret, codeAt(now + 30), null, now)).toBe(step + 1);
    expect(await verifyTotp(secret, codeAt(now - 90), null, now)).toBeNull();
    const spaced = codeAt(now).replace(/^(\d{3})/, '$1 ');
    expect(await verifyTotp(secret, spaced, null, now)).toBe(step);
  });

  it('refuses a step already used, and older ones', async () => {
    const step = Math.floor(now / 30);
    expect(await verifyTotp(secret, codeAt(now), step, now)).toBeNull();
    expect(await verifyTotp(secret, codeAt(now - 30), step, now)).toBeNull();
    expect(await verifyTotp(secret, codeAt(now + 30), step, now)).toBe(step + 1);
  });

  it('refuses malformed input without throwing', async () => {
    for (const input of ['', '12345', '1234567', 'abcdef', '12 34 5x']) {
      expect(await verifyTotp(secret, input, null, now)).toBeNull();
    }
  });
});
