import { createHmac, hash } from 'node:crypto';
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

type Hashable = Omit<AuditEvent, 'hash' | 'keyId'>;

/**
 * The stored fields a row's hash covers, in canonical (sorted) order: every audited request
 * hashes one row, and sorting the same fifteen keys each time would be the larger part of the
 * audit write.
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
 * The unkeyed hash of one row (rows written before the chain was keyed, `keyId` null):
 * SHA-256 over the previous row's hash and the canonical JSON of every stored field of this one.
 * Anyone with database access can recompute it, which is why new rows are MACed instead.
 */
export function hashEvent(event: Hashable): string {
  const body = objectJson(event, HASHED_FIELDS);
  return hash('sha256', `${event.prevHash}|${body}`, 'hex');
}

/** The keyed hash of one row: HMAC-SHA256 over what `hashEvent` covers. */
export function macEvent(event: Hashable, secret: Buffer): string {
  const body = objectJson(event, HASHED_FIELDS);
  return createHmac('sha256', secret).update(`${event.prevHash}|${body}`).digest('hex');
}

/**
 * Where a walk along a chain stands: the last row's position and hash, and whether any row so
 * far was keyed.
 */
export interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
  readonly keyed: boolean;
}

export const CHAIN_START: ChainPosition = { seq: 0, hash: GENESIS_HASH, keyed: false };

/** The MAC of a checkpoint: a checkpoint edited in the database no longer matches. */
export function macCheckpoint(chain: string, position: ChainPosition, secret: Buffer): string {
  return createHmac('sha256', secret)
    .update(`checkpoint|${chain}|${position.seq}|${position.hash}|${position.keyed ? 1 : 0}`)
    .digest('hex');
}

/**
 * Walks one chain in `seq` order from a position (the genesis, or a checkpoint) and says
 * whether each row is where it should be: its position follows the previous one, it links to
 * the previous row's hash, and its own hash matches its content, keyed by the key it names. An
 * edited row fails on its hash; a removed one breaks the position and link of the row after it;
 * a row moved to another chain breaks both chains. Unkeyed rows are accepted only before the
 * first keyed one: turning keyed rows back into unkeyed ones (a downgrade) breaks there.
 */
export class ChainVerifier {
  private at: ChainPosition;

  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    from: ChainPosition = CHAIN_START,
  ) {
    this.at = from;
  }

  /** The last row accepted or refused. */
  get position(): ChainPosition {
    return this.at;
  }

  accept(row: AuditEvent): boolean {
    const intact =
      row.seq === this.at.seq + 1 && row.prevHash === this.at.hash && this.hashMatches(row);
    this.at = { seq: row.seq, hash: row.hash, keyed: this.at.keyed || Boolean(row.keyId) };
    return intact;
  }

  private hashMatches(row: AuditEvent): boolean {
    if (!row.keyId) return !this.at.keyed && hashEvent(row) === row.hash;
    const secret = this.keys.get(row.keyId);
    return secret !== undefined && macEvent(row, secret) === row.hash;
  }
}
