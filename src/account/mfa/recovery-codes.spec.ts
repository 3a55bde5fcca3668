import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCode, normaliseRecoveryCode } from './recovery-codes';

describe('recovery codes', () => {
  it('are four groups of four unambiguous symbols, all different', () => {
    const codes = Array.from({ length: 200 }, () => newRecoveryCode());
    for (const code of codes) expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('normalise what a user types and refuse anything else', () => {
    const code = newRecoveryCode();
    const compact = code.replace(/-/g, '');
    expect(normaliseRecoveryCode(code)).toBe(compact);
    expect(normaliseRecoveryCode(` ${code.toLowerCase()} `)).toBe(compact);
    expect(normaliseRecoveryCode(compact.match(/.{2}/g)?.join(' ') ?? '')).toBe(compact);
    expect(normaliseRecoveryCode('123456')).toBeNull();
    expect(normaliseRecoveryCode('O0I1O0I1O0I1O0I1')).toBeNull();
    expect(normaliseRecoveryCode(`${compact}A`)).toBeNull();
  });

  it('hash per user', () => {
    const code = normaliseRecoveryCode(newRecoveryCode()) ?? '';
    expect(hashRecoveryCode('a', code)).not.toBe(hashRecoveryCode('b', code));
    expect(hashRecoveryCode('a', code)).toMatch(/^[0-9a-f]{64}$/);
  });
});
