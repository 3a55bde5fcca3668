/** The first lock of a (tenant, email) lasts a minute (SPEC §13)… */
export const FIRST_LOCK_SECONDS = 60;
/** …each further one twice as long as the last, up to an hour. */
export const MAX_LOCK_SECONDS = 3600;
/** A (tenant, email) with no failed login for this long starts again from the first lock. */
export const LOCKOUT_MEMORY_SECONDS = 24 * 3600;

/** How long the `level`-th lock (from 1) lasts, in seconds. */
export function lockSeconds(level: number): number {
  return Math.min(FIRST_LOCK_SECONDS * 2 ** Math.max(0, level - 1), MAX_LOCK_SECONDS);
}

export interface LockoutState {
  /** Consecutive failures since the last lock (or success). */
  failures: number;
  /** How many times this (tenant, email) has been locked. */
  level: number;
  /** Epoch ms; 0 when not locked. */
  lockedUntil: number;
}

export interface FailureOutcome {
  /** Whether this failure started a lock, and for how long. */
  locked: boolean;
  seconds: number;
  level: number;
}

/** One more failure: past the threshold, the counter resets and a longer lock starts. */
export function applyFailure(
  state: LockoutState,
  threshold: number,
  now: number,
): { state: LockoutState; outcome: FailureOutcome } {
  const failures = state.failures + 1;
  if (failures < threshold) {
    return {
      state: { ...state, failures },
      outcome: { locked: false, seconds: 0, level: state.level },
    };
  }
  const level = state.level + 1;
  const seconds = lockSeconds(level);
  return {
    state: { failures: 0, level, lockedUntil: now + seconds * 1000 },
    outcome: { locked: true, seconds, level },
  };
}
