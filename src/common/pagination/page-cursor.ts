/**
 * The one cursor format of every list: base64url of the JSON `[key, id]`, the position of the
 * last row of a page in its list's order. `key` is a whole number: the row's creation instant
 * in milliseconds for most lists, the audit log's chain position for audit events. Clients must
 * treat it as opaque; the server reads it strictly, so anything it did not give out is refused.
 */
export interface CursorPosition {
  key: number;
  id: string;
}

/** Ids of every listed table: UUIDs, and oidc-provider's URL-safe grant ids. */
const ID = /^[\w-]{1,64}$/;
const BASE64URL = /^[\w-]{1,200}$/;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.key, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor names, or null when it is not one this API could have given out. */
export function decodeCursor(cursor: unknown): CursorPosition | null {
  if (typeof cursor !== 'string' || !BASE64URL.test(cursor)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [key, id] = parsed as [unknown, unknown];
  if (typeof key !== 'number' || !Number.isSafeInteger(key) || key < 0) return null;
  if (typeof id !== 'string' || !ID.test(id)) return null;
  // One spelling per position: padding, other whitespace or key order are not ours.
  return encodeCursor({ key, id }) === cursor ? { key, id } : null;
}
