import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, hashEvent } from './audit-chain';
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
});
