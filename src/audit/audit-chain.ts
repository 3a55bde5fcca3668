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
  let body = '';
  // The default sort orders by UTF-16 code units, as `<` does.
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    body += `${body === '' ? '{' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return body === '' ? '{}' : `${body}}`;
}

type Hashable = Omit<AuditEvent, 'hash'>;

interface HashedField {
  /** The field's name as JSON. */
  key: string;
  /** The value's canonical JSON, or undefined to leave the field out. */
  write: (event: Hashable) => string | undefined;
}

const field = (name: string, write: HashedField['write']): HashedField => ({
  key: JSON.stringify(name),
  write,
});

/** The stored fields a row's hash covers, in canonical (sorted) order. */
const HASHED_FIELDS: readonly HashedField[] = [
  field('action', (e) => JSON.stringify(e.action)),
  field('actorId', (e) => JSON.stringify(e.actorId)),
  field('actorType', (e) => JSON.stringify(e.actorType)),
  field('at', (e) => JSON.stringify(e.at.toISOString())),
  field('chain', (e) => JSON.stringify(e.chain)),
  field('id', (e) => JSON.stringify(e.id)),
  field('ip', (e) => JSON.stringify(e.ip)),
  field('metadata', (e) => (e.metadata === undefined ? undefined : canonicalJson(e.metadata))),
  field('outcome', (e) => JSON.stringify(e.outcome)),
  field('requestId', (e) => JSON.stringify(e.requestId)),
  field('seq', (e) => JSON.stringify(e.seq)),
  field('targetId', (e) => JSON.stringify(e.targetId)),
  field('targetType', (e) => JSON.stringify(e.targetType)),
  field('tenantId', (e) => JSON.stringify(e.tenantId)),
  field('userAgent', (e) => JSON.stringify(e.userAgent)),
];

/**
 * The hash of one row: SHA-256 over the previous row's hash and every stored field of this one.
 * Changing any field, or the order or presence of rows, changes every hash after it.
 *
 * The body is `canonicalJson` of the fields, written field by field in their sorted order:
 * every audited request hashes one row, and sorting the same fifteen keys each time was the
 * larger part of the audit write. A field left undefined is left out, as `canonicalJson` does.
 */
export function hashEvent(event: Hashable): string {
  let body = '';
  for (const { key, write } of HASHED_FIELDS) {
    const value = write(event);
    if (value === undefined) continue;
    body += `${body === '' ? '{' : ','}${key}:${value}`;
  }
  return hash('sha256', `${event.prevHash}|${body === '' ? '{' : body}}`, 'hex');
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
