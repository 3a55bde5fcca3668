import { hash } from 'node:crypto';
import type { AuditEvent } from './entities/audit-event.entity';

export const GENESIS_HASH = '0'.repeat(64);
export const INSTANCE_CHAIN = 'instance';

/** JSON with sorted keys at every depth: the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

type Hashable = Omit<AuditEvent, 'hash'>;

/**
 * The hash of one row: SHA-256 over the previous row's hash and every stored field of this one.
 * Changing any field, or the order or presence of rows, changes every hash after it.
 */
export function hashEvent(event: Hashable): string {
  const body = canonicalJson({
    id: event.id,
    chain: event.chain,
    seq: event.seq,
    at: event.at.toISOString(),
    tenantId: event.tenantId,
    actorType: event.actorType,
    actorId: event.actorId,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    outcome: event.outcome,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    metadata: event.metadata,
  });
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
