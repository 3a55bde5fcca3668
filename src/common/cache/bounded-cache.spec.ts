import { describe, expect, it } from 'vitest';
import { boundedCache } from './bounded-cache';

describe('boundedCache', () => {
  it('holds at most its limit, evicting the least recently used entry', () => {
    const cache = boundedCache<string, number>(3);
    cache.set('a', 1).set('b', 2).set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.has('b')).toBe(false);
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd']);
  });

  it('stays bounded far beyond its limit', () => {
    const cache = boundedCache<string, number>(1000);
    for (let i = 0; i < 50_000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(1000);
    expect(cache.get('k49999')).toBe(49_999);
    expect(cache.get('k0')).toBeUndefined();
  });

  it('expires entries after their ttl', async () => {
    // Wide enough that a GC pause or a busy CI worker between set and get cannot expire it.
    const cache = boundedCache<string, string>(10, { ttl: 400 });
    cache.set('session', 'live');
    expect(cache.get('session')).toBe('live');
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(cache.get('session')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
