import { DataSource, type Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashEvent } from '../../src/audit/audit-chain';
import { AuditService } from '../../src/audit/audit.service';
import { AuditChainVerifierService } from '../../src/audit/audit-chain-verifier.service';
import { AuditVerifyLimiter } from '../../src/audit/audit-verify-limiter';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import { bearer, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { tenantWithAdmin, type TenantAdmin } from './helpers';

/**
 * F17: the attacker has write access to the database (a leaked credential, a compromised
 * replica promoted, an insider) but not the application's KEY_ENCRYPTION_KEY; or is a tenant
 * auditor who wants the verify route to cost the instance as much as possible.
 */
describe('audit chain under attack (F17)', () => {
  let t: TestApp;
  let events: Repository<AuditEvent>;
  let limiter: AuditVerifyLimiter;

  beforeAll(async () => {
    t = await createTestApp();
    events = t.app.get(DataSource).getRepository(AuditEvent);
    limiter = t.app.get(AuditVerifyLimiter);
    // Most tests verify one tenant twice; the limit itself is tested with its real window.
    limiter.intervalMs = 1;
  });
  afterAll(() => t.close());

  const verify = (tenant: TenantAdmin, query: Record<string, string> = {}) =>
    t.http().get('/v1/audit-events/verify').query(query).set(bearer(tenant.admin.accessToken));

  /** `count` more failed logins in the tenant's chain. */
  async function addEvents(tenant: TenantAdmin, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const res = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: tenant.tenant.slug, email: uniqueEmail('chain'), password: `wrong ${i}` });
      expect(res.status).toBe(401);
    }
    await t.flushAudit();
  }

  const rowsOf = (tenant: TenantAdmin): Promise<AuditEvent[]> =>
    events.find({ where: { chain: tenant.tenant.id }, order: { seq: 'ASC' } });

  /** A tenant whose chain holds its setup events and `count` more. */
  async function tenantWithChain(
    count: number,
  ): Promise<{ tenant: TenantAdmin; rows: AuditEvent[] }> {
    const tenant = await tenantWithAdmin(t);
    await addEvents(tenant, count);
    return { tenant, rows: await rowsOf(tenant) };
  }

  /**
   * What the review describes: change a row, then recompute the SHA-256 chain (the algorithm is
   * public) from that row to the end, so every link and hash is consistent again. `downgrade`
   * also marks the rewritten rows as unkeyed, as rows written before the chain was keyed are.
   */
  async function rewriteFrom(
    rows: AuditEvent[],
    index: number,
    options: { downgrade?: boolean; legacyFromGenesis?: boolean } = {},
  ): Promise<void> {
    let prevHash = index === 0 ? GENESIS_HASH : rows[index - 1].hash;
    for (const row of rows.slice(index)) {
      row.prevHash = prevHash;
      if (options.downgrade) row.keyId = null;
      row.hash = hashEvent(row);
      prevHash = row.hash;
      await events.update(
        { id: row.id },
        {
          metadata: row.metadata,
          prevHash: row.prevHash,
          hash: row.hash,
          ...(options.downgrade ? { keyId: null } : {}),
        },
      );
    }
  }

  it('a row rewritten with the SHA-256 chain recomputed from there is caught at that row', async () => {
    const { tenant, rows } = await tenantWithChain(5);
    const victim = rows[2];
    victim.metadata = { reason: 'nothing happened here' };
    await rewriteFrom(rows, 2);
    expect((await verify(tenant)).body).toEqual({
      valid: false,
      checked: 3,
      firstBrokenId: victim.id,
    });

    // Marking the rewritten rows unkeyed, as the rows from before the upgrade are, does not help.
    const downgraded = await tenantWithChain(5);
    downgraded.rows[2].metadata = { reason: 'nothing happened here' };
    await rewriteFrom(downgraded.rows, 2, { downgrade: true });
    expect((await verify(downgraded.tenant)).body).toEqual({
      valid: false,
      checked: 3,
      firstBrokenId: downgraded.rows[2].id,
    });
  });

  it('deleting the last rows after a verify makes the next verify invalid, checkpoint edits too', async () => {
    const { tenant, rows } = await tenantWithChain(4);
    expect((await verify(tenant)).body).toEqual({
      valid: true,
      checked: rows.length,
      firstBrokenId: null,
    });
    const dataSource = t.app.get(DataSource);
    const last = rows.slice(-2).map((row) => row.id);
    await dataSource
      .createQueryBuilder()
      .delete()
      .from('audit_events')
      .where('id IN (:...ids)', { ids: last })
      .execute();
    const truncated = await verify(tenant);
    expect(truncated.status).toBe(200);
    expect(truncated.body).toMatchObject({ valid: false, firstBrokenId: null });

    // Moving the stored checkpoint back to the new end, as the attacker would next, is refused:
    // its MAC takes the chain key.
    const head = rows.at(-3)!;
    await dataSource
      .createQueryBuilder()
      .update('audit_checkpoints')
      .set({ seq: head.seq, hash: head.hash })
      .where('chain = :chain', { chain: tenant.tenant.id })
      .execute();
    expect((await verify(tenant)).body).toMatchObject({ valid: false, firstBrokenId: null });
  });

  it('a row changed below the last verified point is named by a full walk', async () => {
    const { tenant, rows } = await tenantWithChain(3);
    expect((await verify(tenant)).body).toMatchObject({ valid: true });
    await events.update({ id: rows[1].id }, { outcome: 'failure', action: 'auth.logout' });
    // The incremental verify looks at new rows and the last verified one only: by design.
    expect((await verify(tenant)).body).toEqual({ valid: true, checked: 0, firstBrokenId: null });
    expect((await verify(tenant, { full: 'true' })).body).toEqual({
      valid: false,
      checked: 2,
      firstBrokenId: rows[1].id,
    });
  });

  it('rows from before the chain was keyed, then keyed ones, verify as one chain', async () => {
    // The rows as the unkeyed writer stored them: SHA-256 from the genesis, no key id.
    const { tenant, rows } = await tenantWithChain(3);
    await rewriteFrom(rows, 0, { downgrade: true });
    await addEvents(tenant, 3);
    const all = await rowsOf(tenant);
    expect(all.slice(0, rows.length).every((row) => row.keyId === null)).toBe(true);
    expect(all.slice(rows.length).every((row) => row.keyId !== null)).toBe(true);
    expect(all[rows.length].prevHash).toBe(rows.at(-1)!.hash);
    expect((await verify(tenant)).body).toEqual({
      valid: true,
      checked: all.length,
      firstBrokenId: null,
    });

    // An old row edited afterwards is still caught: the first keyed row vouches for the old ones.
    await events.update({ id: all[1].id }, { action: 'auth.logout' });
    expect((await verify(tenant, { full: 'true' })).body).toMatchObject({
      valid: false,
      firstBrokenId: all[1].id,
    });
  });

  it('a burst of verify calls from one tenant answers 429 after the first; other tenants are unaffected', async () => {
    const acme = await tenantWithChain(2);
    const other = await tenantWithChain(2);
    limiter.intervalMs = 60_000;
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => verify(acme.tenant)));
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([200, 429, 429, 429, 429]);
      for (const refused of answers.filter((res) => res.status === 429)) {
        expect(refused.body.code).toBe('rate_limited');
        const retryAfter = Number(refused.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }
      const elsewhere = await verify(other.tenant);
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.body).toMatchObject({ valid: true });
      expect((await verify(acme.tenant)).status).toBe(429);
    } finally {
      limiter.intervalMs = 1;
    }
  });

  it('a full buffer refuses new requests with 503, and no buffered event is dropped', async () => {
    const tenant = await tenantWithAdmin(t);
    const audit = t.app.get(AuditService);
    await t.flushAudit();
    // The database "stalls": nothing is written while the buffer fills.
    const flush = audit.flush.bind(audit);
    audit.flush = () => Promise.resolve();
    const limit = audit.maxBuffer;
    audit.maxBuffer = audit.pending + 5;
    let admitted = 0;
    try {
      let refused: Awaited<ReturnType<ReturnType<TestApp['http']>['post']>> | undefined;
      for (let i = 0; i < 20 && !refused; i++) {
        const res = await t
          .http()
          .post('/v1/auth/login')
          .send({ tenant: tenant.tenant.slug, email: uniqueEmail('full'), password: 'wrong' });
        if (res.status === 503) refused = res;
        else {
          expect(res.status).toBe(401);
          admitted += 1;
        }
      }
      expect(refused?.body.code).toBe('service_unavailable');
      expect(refused?.headers['retry-after']).toBe('1');
      expect(admitted).toBe(5);
      // The OAuth engine, served ahead of Express, is held back too; probes are not.
      expect((await t.http().get('/oidc/.well-known/openid-configuration')).status).toBe(503);
      expect((await t.http().get('/health/live')).status).toBe(200);
    } finally {
      audit.flush = flush;
      audit.maxBuffer = limit;
    }
    await t.flushAudit();
    expect(audit.pending).toBe(0);
    const stored = await events.findBy({
      tenantId: tenant.tenant.id,
      action: 'auth.login',
      outcome: 'failure',
    });
    expect(stored).toHaveLength(admitted);
    // Writing resumed: requests are served again.
    const after = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.tenant.slug, email: uniqueEmail('full'), password: 'wrong' });
    expect(after.status).toBe(401);
  });

  it('a long chain is verified in batches that let other work run in between (SQLite reads block)', async () => {
    const tenant = await tenantWithAdmin(t);
    const audit = t.app.get(AuditService);
    for (let i = 0; i < 2_000; i++)
      audit.record({ action: 'project.created', outcome: 'success', tenantId: tenant.tenant.id });
    await t.flushAudit();
    let turns = 0;
    let done = false;
    const turn = (): void => {
      turns += 1;
      if (!done) setImmediate(turn);
    };
    setImmediate(turn);
    const result = await t.app
      .get(AuditChainVerifierService)
      .verifyChain(tenant.tenant.id, true)
      .finally(() => (done = true));
    expect(result).toMatchObject({ valid: true, firstBrokenId: null });
    expect(result.checked).toBeGreaterThan(2_000);
    // At least one turn of the loop per batch of 500 rows.
    expect(turns).toBeGreaterThanOrEqual(4);
  });
});
