import { hash } from 'node:crypto';
import type { AuditEvent } from './entities/audit-event.entity';

export const GENESIS_HASH = '0'.repeat(64);
export const INSTANCE_CHAIN = 'instance';

/** JSON with sorted keys at every depth: the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  // The default sort orders by UTF-16 code units, as `<` does.
  return objectJson(record, Object.keys(record).sort());
}

/** `canonicalJson` of an object whose keys are given, already sorted; undefined values left out. */
function objectJson(record: Readonly<Record<string, unknown>>, keys: readonly string[]): string {
  let body = '';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    body += `${body === '' ? '{' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return body === '' ? '{}' : `${body}}`;
}

type Hashable = Omit<AuditEvent, 'hash'>;

/**
 * The stored fields a row's hash covers, in canonical (sorted) order: every audited request
 * hashes one row, and sorting the same fifteen keys each time was the larger part of the audit
 * write.
 */
const HASHED_FIELDS = [
  'action',
  'actorId',
  'actorType',
  'at',
  'chain',
  'id',
  'ip',
  'metadata',
  'outcome',
  'requestId',
  'seq',
  'targetId',
  'targetType',
  'tenantId',
  'userAgent',
] as const satisfies readonly (keyof Hashable)[];

/**
 * The hash of one row: SHA-256 over the previous row's hash and the canonical JSON of every
 * stored field of this one. Changing any field, or the order or presence of rows, changes
 * every hash after it.
 */
export function hashEvent(event: Hashable): string {
  const body = objectJson(event, HASHED_FIELDS);
  return hash('sha256', `${event.prevHash}|${body}`, 'hex');
}

/**
 * Walks one chain in `seq` order and says whether each row is where it should be: its position
 * follows the previous one, it links to the previous row's hash, and its own hash matches its
 * content. An edited row fails on its hash; a removed one breaks the position and link of the
 * row after it; a row moved to another chain breaks both chains.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;

  accept(row: AuditEvent): boolean {
    const intact =
      row.seq === this.expectedSeq && row.prevHash === this.prevHash && hashEvent(row) === row.hash;
    this.expectedSeq = row.seq + 1;
    this.prevHash = row.hash;
    return intact;
  }
}
