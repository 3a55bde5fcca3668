/**
 * Keys whose values never reach a log line, whatever object carries them. Matching is on the
 * key's name, case-insensitively, so `refreshToken`, `client_secret` and `Authorization` are
 * all caught.
 */
const SENSITIVE_KEY =
  /pass(?:word)?|secret|token|authorization|cookie|api[-_]?key|^key$|private|^code$|mfa.?code|otp|recovery|credential|samlresponse|assertion/i;

export const REDACTED = '[redacted]';

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** A deep copy of `value` with every sensitive member replaced. Cycles and depth are bounded. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[depth]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redact(item, depth + 1, seen);
  }
  return out;
}
