import { describe, expect, it, vi } from 'vitest';
import { loadOnce } from './load-once';

describe('loadOnce', () => {
  it('loads on the first call only, and hands every caller the same promise', async () => {
    const load = vi.fn(() => Promise.resolve({ answer: 42 }));
    const get = loadOnce(load);
    expect(load).not.toHaveBeenCalled();
    const [first, second] = [get(), get()];
    expect(first).toBe(second);
    expect(await first).toEqual({ answer: 42 });
    expect(await get()).toBe(await first);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('loads a real module lazily through import()', async () => {
    const get = loadOnce(() => import('node:path'));
    const { posix } = await get();
    expect(posix.join('a', 'b')).toBe('a/b');
  });
});
