import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditChainKeys, deriveAuditChainKey } from '../../src/audit/audit-chain-keys';
import { AuditVerifyLimiter } from '../../src/audit/audit-verify-limiter';
import { AuditCheckpoint } from '../../src/audit/entities/audit-checkpoint.entity';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import { bearer, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { tenantWithAdmin, type TenantAdmin } from './helpers';

/**
 * The chain key follows the KEK: rows name the key they were MACed with, so a chain spans a KEK
 * change. (One KEK is configured today; the test stands in for a second one the way a rotation
 * would offer it: a new current key, the old one still accepted, then retired.)
 */
describe('audit chain keys across a KEK change', () => {
  let t: TestApp;
  let keys: AuditChainKeys;

  beforeAll(async () => {
    t = await createTestApp();
    keys = t.app.get(AuditChainKeys);
    t.app.get(AuditVerifyLimiter).intervalMs = 1;
  });
  afterAll(() => t.close());

  const verify = (tenant: TenantAdmin, query: Record<string, string> = {}) =>
    t.http().get('/v1/audit-events/verify').query(query).set(bearer(tenant.admin.accessToken));

  async function addEvents(tenant: TenantAdmin, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: tenant.tenant.slug, email: uniqueEmail('keys'), password: 'wrong' });
    }
    await t.flushAudit();
  }

  it('keeps verifying after the key changes, and re-anchors its checkpoint under the new key', async () => {
    const tenant = await tenantWithAdmin(t);
    await addEvents(tenant, 2);
    expect((await verify(tenant)).body).toMatchObject({ valid: true });
    const dataSource = t.app.get(DataSource);
    const checkpoint = () =>
      dataSource.getRepository(AuditCheckpoint).findOneByOrFail({ chain: tenant.tenant.id });
    const old = keys.current;
    expect((await checkpoint()).keyId).toBe(old.id);

    const next = deriveAuditChainKey('a-newer-key-encryption-key-0123456789');
    Object.assign(keys, {
      current: next,
      verifying: new Map([
        [old.id, old.secret],
        [next.id, next.secret],
      ]),
    });
    // Verified before anything new is written: the checkpoint moves to the new key all the same.
    expect((await verify(tenant)).body).toEqual({ valid: true, checked: 0, firstBrokenId: null });
    expect((await checkpoint()).keyId).toBe(next.id);
    await addEvents(tenant, 2);
    const rows = await dataSource
      .getRepository(AuditEvent)
      .find({ where: { chain: tenant.tenant.id }, order: { seq: 'ASC' } });
    expect(new Set(rows.map((row) => row.keyId))).toEqual(new Set([old.id, next.id]));

    // The old KEK retired: new rows verify from the checkpoint; a full walk can no longer prove
    // the rows MACed under it.
    Object.assign(keys, { verifying: new Map([[next.id, next.secret]]) });
    await addEvents(tenant, 1);
    expect((await verify(tenant)).body).toEqual({ valid: true, checked: 3, firstBrokenId: null });
    expect((await verify(tenant, { full: 'true' })).body).toEqual({
      valid: false,
      checked: 1,
      firstBrokenId: rows[0].id,
    });
  });

  it('a chain MACed under a key this instance does not have is not valid', async () => {
    const tenant = await tenantWithAdmin(t);
    await addEvents(tenant, 1);
    const current = keys.current;
    const stranger = deriveAuditChainKey('some-other-instance-key-encryption-key');
    Object.assign(keys, {
      current: stranger,
      verifying: new Map([[stranger.id, stranger.secret]]),
    });
    try {
      expect((await verify(tenant)).body).toMatchObject({ valid: false, checked: 1 });
    } finally {
      Object.assign(keys, { current, verifying: new Map([[current.id, current.secret]]) });
    }
  });
});
