import { describe, expect, it } from 'vitest';
import { AppError } from '../common/errors/app-error';
import { canonicalJson, parseIdempotencyKey, requestHash } from './idempotency-request';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}',
    );
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
  });

  it('tells apart values that differ only in type', () => {
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('requestHash', () => {
  it('is the same for the same body in another key order, and differs by path or body', () => {
    const first = requestHash('/v1/projects', { name: 'a', description: 'b' });
    expect(requestHash('/v1/projects', { description: 'b', name: 'a' })).toBe(first);
    expect(requestHash('/v1/projects?x=1', { name: 'a', description: 'b' })).not.toBe(first);
    expect(requestHash('/v1/projects', { name: 'a', description: 'c' })).not.toBe(first);
  });
});

describe('parseIdempotencyKey', () => {
  it('accepts 1 to 255 visible ASCII characters', () => {
    expect(parseIdempotencyKey('a')).toBe('a');
    expect(parseIdempotencyKey('k'.repeat(255))).toBe('k'.repeat(255));
    expect(parseIdempotencyKey('0190f8a2-7c1e-7d3a-9b2f-1c2d3e4f5a6b')).toBe(
      '0190f8a2-7c1e-7d3a-9b2f-1c2d3e4f5a6b',
    );
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['a space', 'a b'],
    ['non-ASCII', 'clé'],
    ['a control character', 'a\tb'],
  ])('refuses %s with 400 validation_failed', (_, value) => {
    expect(() => parseIdempotencyKey(value)).toThrow(AppError);
    try {
      parseIdempotencyKey(value);
    } catch (error) {
      expect((error as AppError).status).toBe(400);
      expect((error as AppError).code).toBe('validation_failed');
    }
  });

  it('refuses a repeated header', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow(AppError);
  });
});
