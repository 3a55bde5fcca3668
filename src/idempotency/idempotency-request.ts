import { hash } from 'node:crypto';
import { AppError } from '../common/errors/app-error';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** 1–255 visible ASCII characters (RFC 9110 VCHAR): UUIDs, ULIDs, any client's own scheme. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The header's value, or 400 `validation_failed` when it is not a usable key. */
export function parseIdempotencyKey(value: string | string[]): string {
  // Node joins repeated headers with ", ", which no valid key contains.
  if (typeof value === 'string' && KEY_PATTERN.test(value)) return value;
  throw AppError.validation(
    [{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
    'The Idempotency-Key header is not valid.',
  );
}

/**
 * JSON with object keys sorted at every depth, so that two bodies that mean the same hash the
 * same whatever order a client serialised them in. Arrays keep their order: it means something.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * What makes two requests "the same" under one key: the concrete path and query (a key reused
 * on `/v1/oauth/clients/A/secret` and `…/B/secret` is a reuse, not a replay) and the body.
 */
export function requestHash(url: string, body: unknown): string {
  return hash('sha256', `${url}\n${canonicalJson(body)}`, 'hex');
}
