import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * Random bytes for ids, drawn 4 KiB at a time. `uuid` draws 16 bytes through WebCrypto for
 * every id, which cost ~3 % of a refresh grant's CPU (two ids each); Node pools the bytes of
 * `randomUUID` the same way. Ids are identifiers, never secrets: secrets come from
 * `randomSecret`.
 */
const pool = new Uint8Array(4096);
let offset = pool.length;
let lastMs = -Infinity;
let seq = 0;

/**
 * A new UUIDv7 (RFC 9562): time-ordered, and increasing within a millisecond too. The counter
 * is `uuid`'s own scheme, kept here because `uuid` keeps its counter only when it draws the
 * random bytes itself: 31 bits seeded at random each millisecond, carried into the next
 * millisecond when it wraps.
 */
export function newId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.subarray(offset, (offset += 16));
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    seq = ((random[6] & 0x7f) << 24) | (random[7] << 16) | (random[8] << 8) | random[9];
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs++;
  }
  return v7({ random, msecs: lastMs, seq });
}
