import { describe, expect, it } from 'vitest';
import { applyFailure, lockSeconds } from './lockout-schedule';
import { MemoryLockouts } from './lockout.store';

describe('lockout schedule', () => {
  it('locks for a minute, doubling with each further lock, up to an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(lockSeconds)).toEqual([
      60, 120, 240, 480, 960, 1920, 3600, 3600, 3600,
    ]);
  });

  it('locks on the threshold-th consecutive failure and starts counting again', () => {
    let state = { failures: 0, level: 0, lockedUntil: 0 };
    const outcomes = [];
    for (let i = 0; i < 6; i++) {
      const next = applyFailure(state, 3, 1000);
      state = next.state;
      outcomes.push(next.outcome.locked ? next.outcome.seconds : 0);
    }
    expect(outcomes).toEqual([0, 0, 60, 0, 0, 120]);
    expect(state).toEqual({ failures: 0, level: 2, lockedUntil: 1000 + 120_000 });
  });
});

describe('MemoryLockouts', () => {
  it('locks, expires, locks longer, and forgets everything on reset', () => {
    let now = 0;
    const lockouts = new MemoryLockouts(() => now);
    for (let i = 0; i < 2; i++) expect(lockouts.recordFailure('k', 2).locked).toBe(i === 1);
    expect(lockouts.remainingMs('k')).toBe(60_000);
    expect(lockouts.remainingMs('other')).toBe(0);
    now += 60_000;
    expect(lockouts.remainingMs('k')).toBe(0);
    lockouts.recordFailure('k', 2);
    expect(lockouts.recordFailure('k', 2)).toEqual({ locked: true, seconds: 120, level: 2 });
    expect(lockouts.remainingMs('k')).toBe(120_000);
    lockouts.reset('k');
    expect(lockouts.remainingMs('k')).toBe(0);
    lockouts.recordFailure('k', 2);
    expect(lockouts.recordFailure('k', 2).seconds).toBe(60);
  });
});
