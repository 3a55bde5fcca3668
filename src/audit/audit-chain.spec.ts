import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, ChainVerifier, GENESIS_HASH, hashEvent, macEvent } from './audit-chain';
import { deriveAuditChainKey } from './audit-chain-keys';
import type { AuditEvent } from './entities/audit-event.entity';

const event = (): Omit<AuditEvent, 'hash'> => ({
  id: '0190a000-0000-7000-8000-000000000001',
  chain: 't1',
  seq: 1,
  at: new Date('2026-01-01T00:00:00.000Z'),
  tenantId: 't1',
  actorType: 'user',
  actorId: 'u1',
  action: 'auth.login',
  targetType: 'user',
  targetId: 'u1',
  outcome: 'success',
  ip: '127.0.0.1',
  userAgent: 'test',
  requestId: 'r1',
  metadata: { b: 1, a: { d: 2, c: 3 } },
  prevHash: GENESIS_HASH,
  keyId: null,
});

describe('audit hash chain', () => {
  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('is stable for the same event and changes with any field or the previous hash', () => {
    const base = hashEvent(event());
    expect(hashEvent(event())).toBe(base);
    expect(hashEvent({ ...event(), outcome: 'failure' })).not.toBe(base);
    expect(hashEvent({ ...event(), metadata: { b: 2, a: { d: 2, c: 3 } } })).not.toBe(base);
    expect(hashEvent({ ...event(), seq: 2 })).not.toBe(base);
    expect(hashEvent({ ...event(), prevHash: 'f'.repeat(64) })).not.toBe(base);
  });

  it('hashes the canonical JSON of the stored fields, leaving out undefined ones', () => {
    const reference = (row: Omit<AuditEvent, 'hash'>): string => {
      const { prevHash, at, keyId: _keyId, ...fields } = row;
      const body = canonicalJson({ ...fields, at: at.toISOString() });
      return createHash('sha256').update(`${prevHash}|${body}`).digest('hex');
    };
    const rows: Omit<AuditEvent, 'hash'>[] = [
      event(),
      { ...event(), actorId: null, ip: null, userAgent: null, requestId: null, tenantId: null },
      { ...event(), targetType: undefined as unknown as null, metadata: {} },
      { ...event(), metadata: { z: [1, { y: undefined, x: 'é' }], '10': 1, '9': 2, a: null } },
    ];
    for (const row of rows) expect(hashEvent(row)).toBe(reference(row));
  });

  it('hashes as every earlier version did, so stored chains still verify', () => {
    // Computed with the createHash-based implementation this one replaced.
    expect(hashEvent({ ...event(), userAgent: 'tést ✓' })).toBe(
      'f9dacae5a07144168fea7e2b8f1f950d708cf9d8206342483452ec37014c2b3e',
    );
  });
});

describe('ChainVerifier', () => {
  const chain = (length: number): AuditEvent[] => {
    let prevHash = GENESIS_HASH;
    return Array.from({ length }, (_, index) => {
      const row = {
        ...event(),
        id: `0190a000-0000-7000-8000-00000000000${index}`,
        seq: index + 1,
        prevHash,
      };
      const hashed = { ...row, hash: hashEvent(row) };
      prevHash = hashed.hash;
      return hashed;
    });
  };
  const key = deriveAuditChainKey('k'.repeat(32));
  const keys = new Map([[key.id, key.secret]]);
  /** Rows `from` on (0-based) keyed, as the writer keys them; the chain relinked after. */
  const keyedFrom = (rows: AuditEvent[], from: number): AuditEvent[] => {
    let prevHash = GENESIS_HASH;
    return rows.map((row, index) => {
      const linked = { ...row, prevHash };
      const hashed =
        index >= from
          ? { ...linked, keyId: key.id, hash: macEvent(linked, key.secret) }
          : { ...linked, hash: hashEvent(linked) };
      prevHash = hashed.hash;
      return hashed;
    });
  };
  const firstBroken = (rows: AuditEvent[]): string | null => {
    const verifier = new ChainVerifier(keys);
    return rows.find((row) => !verifier.accept(row))?.id ?? null;
  };

  it('accepts an intact chain', () => {
    expect(firstBroken(chain(5))).toBeNull();
  });

  it('names an edited row', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2], outcome: 'failure' };
    expect(firstBroken(rows)).toBe(rows[2].id);
  });

  it('names the row after a removed one, and after a re-hashed edit', () => {
    const removed = chain(5);
    const after = removed[3].id;
    removed.splice(2, 1);
    expect(firstBroken(removed)).toBe(after);

    const rehashed = chain(5);
    const edited = { ...rehashed[1], action: 'auth.logout' };
    rehashed[1] = { ...edited, hash: hashEvent(edited) };
    expect(firstBroken(rehashed)).toBe(rehashed[2].id);
  });

  it('names a chain that does not start at the genesis', () => {
    const rows = chain(3).slice(1);
    expect(firstBroken(rows)).toBe(rows[0].id);
  });

  it('accepts unkeyed rows followed by keyed ones, the first keyed row linking to their head', () => {
    expect(firstBroken(keyedFrom(chain(5), 0))).toBeNull();
    expect(firstBroken(keyedFrom(chain(5), 3))).toBeNull();
  });

  it('refuses a keyed row re-hashed with SHA-256, or with another key, or naming an unknown key', () => {
    const rows = keyedFrom(chain(4), 0);
    const edited = { ...rows[1], action: 'auth.logout' };
    const unkeyed = [...rows];
    unkeyed[1] = { ...edited, hash: hashEvent(edited) };
    expect(firstBroken(unkeyed)).toBe(rows[1].id);
    const other = deriveAuditChainKey('o'.repeat(32));
    const otherKey = [...rows];
    otherKey[1] = { ...edited, keyId: other.id, hash: macEvent(edited, other.secret) };
    expect(firstBroken(otherKey)).toBe(rows[1].id);
  });

  it('refuses unkeyed rows after a keyed one (a downgrade), even when their SHA-256 chain holds', () => {
    const rows = keyedFrom(chain(5), 0);
    let prevHash = rows[1].hash;
    const downgraded = rows.map((row, index) => {
      if (index < 2) return row;
      const linked = { ...row, prevHash, keyId: null };
      const hashed = { ...linked, hash: hashEvent(linked) };
      prevHash = hashed.hash;
      return hashed;
    });
    expect(firstBroken(downgraded)).toBe(rows[2].id);
  });

  it('derives a different key, and key id, from another KEK', () => {
    const other = deriveAuditChainKey('o'.repeat(32));
    expect(other.id).not.toBe(key.id);
    expect(other.secret.equals(key.secret)).toBe(false);
    expect(deriveAuditChainKey('k'.repeat(32)).id).toBe(key.id);
  });
});
