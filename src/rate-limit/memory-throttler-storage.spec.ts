import { describe, expect, it } from 'vitest';
import { MemoryThrottlerStorage } from './memory-throttler-storage';

describe('MemoryThrottlerStorage', () => {
  const setup = () => {
    let now = 1_000_000;
    const storage = new MemoryThrottlerStorage(() => now);
    return { storage, advance: (ms: number) => (now += ms) };
  };

  it('counts hits in a fixed window and blocks past the limit for blockDuration', async () => {
    const { storage, advance } = setup();
    for (let hit = 1; hit <= 3; hit++) {
      expect(await storage.increment('k', 60_000, 3, 60_000)).toEqual({
        totalHits: hit,
        timeToExpire: 60,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
    }
    advance(10_000);
    expect(await storage.increment('k', 60_000, 3, 60_000)).toEqual({
      totalHits: 4,
      timeToExpire: 50,
      isBlocked: true,
      timeToBlockExpire: 60,
    });
    advance(30_000);
    expect(await storage.increment('k', 60_000, 3, 60_000)).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 30,
    });
    // The window ended before the block: once the block ends, counting starts afresh.
    advance(30_000);
    expect(await storage.increment('k', 60_000, 3, 60_000)).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('keeps keys apart', async () => {
    const { storage } = setup();
    await storage.increment('a', 60_000, 1, 60_000);
    expect((await storage.increment('a', 60_000, 1, 60_000)).isBlocked).toBe(true);
    expect((await storage.increment('b', 60_000, 1, 60_000)).isBlocked).toBe(false);
  });

  it('rounds times up to whole seconds, never 0 while blocked', async () => {
    const { storage, advance } = setup();
    await storage.increment('k', 1_000, 1, 1_000);
    await storage.increment('k', 1_000, 1, 1_000);
    advance(999);
    expect(await storage.increment('k', 1_000, 1, 1_000)).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 1,
    });
  });
});
