import { describe, expect, it } from 'vitest';
import { validate, version } from 'uuid';
import { newId } from './ids';

describe('newId', () => {
  it('makes valid, distinct version-7 UUIDs that sort in the order they were made', () => {
    // More than one pool of random bytes, and many ids within each millisecond.
    const ids = Array.from({ length: 5_000 }, () => newId());
    for (const id of ids.slice(0, 50)) {
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carries the time of creation in its first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });
});
