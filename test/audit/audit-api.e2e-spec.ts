import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { hashEvent } from '../../src/audit/audit-chain';
import { AuditService } from '../../src/audit/audit.service';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import { bearer, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import { auditEvents, type AuditItem, tenantWithAdmin, type TenantAdmin } from './helpers';

describe('audit API', () => {
  let t: TestApp;
  let acme: TenantAdmin;
  let other: TenantAdmin;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await tenantWithAdmin(t);
    other = await tenantWithAdmin(t);
  });
  afterAll(() => t.close());

  const list = (query: Record<string, string>, token = acme.admin.accessToken) =>
    t.http().get('/v1/audit-events').query(query).set(bearer(token));

  describe('GET /v1/audit-events', () => {
    let member: { id: string; email: string };

    beforeAll(async () => {
      const registered = await register(t, acme.tenant.slug);
      member = registered.user;
      for (const password of ['wrong password one', 'wrong password two']) {
        await t
          .http()
          .post('/v1/auth/login')
          .set('User-Agent', 'audit-test-agent')
          .send({ tenant: acme.tenant.slug, email: member.email, password });
      }
      await t.http().post('/v1/auth/login').send({
        tenant: acme.tenant.slug,
        email: member.email,
        password: STRONG_PASSWORD,
      });
      // Noise in the other tenant, which must never show.
      await t.http().post('/v1/auth/login').send({
        tenant: other.tenant.slug,
        email: other.admin.email,
        password: 'wrong password three',
      });
      await t.flushAudit();
    });

    it('answers the SPEC §11 shape, newest first, in {items, nextCursor}', async () => {
      const res = await list({});
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      const items = res.body.items as AuditItem[];
      expect(items.length).toBeGreaterThanOrEqual(5);
      expect(items.length).toBeLessThanOrEqual(20);
      for (const item of items) {
        expect(Object.keys(item).sort()).toEqual(
          [
            'action',
            'actor',
            'at',
            'id',
            'ip',
            'metadata',
            'outcome',
            'requestId',
            'target',
            'tenantId',
            'userAgent',
          ].sort(),
        );
        expect(item.tenantId).toBe(acme.tenant.id);
        expect(Object.keys(item.actor).sort()).toEqual(['id', 'type']);
        expect(Object.keys(item.target).sort()).toEqual(['id', 'type']);
        expect(new Date(item.at).toISOString()).toBe(item.at);
      }
      const ids = items.map((item) => item.id);
      expect(ids).toEqual([...ids].sort().reverse());
      const failure = items.find(
        (item) => item.action === 'auth.login' && item.outcome === 'failure',
      );
      expect(failure).toMatchObject({
        actor: { type: 'user', id: member.id },
        target: { type: 'user', id: member.id },
        metadata: { reason: 'bad_password' },
        userAgent: 'audit-test-agent',
        ip: expect.stringMatching(/127\.0\.0\.1|::1/),
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
    });

    it('filters by action (exact, or a prefix ending in .*), actor, target and outcome', async () => {
      const exact = await auditEvents(t, acme.admin.accessToken, { action: 'auth.login' });
      expect(exact.length).toBe(3);
      expect(new Set(exact.map((item) => item.action))).toEqual(new Set(['auth.login']));

      const prefix = await auditEvents(t, acme.admin.accessToken, { action: 'auth.*' });
      expect(new Set(prefix.map((item) => item.action))).toEqual(
        new Set(['auth.login', 'auth.register']),
      );
      // A prefix is a whole segment: `auth.log.*` is not `auth.login`, and `_` is no wildcard.
      expect(await auditEvents(t, acme.admin.accessToken, { action: 'auth.log.*' })).toEqual([]);
      expect(await auditEvents(t, acme.admin.accessToken, { action: 'auth_login' })).toEqual([]);

      const byActor = await auditEvents(t, acme.admin.accessToken, { actorId: member.id });
      expect(byActor.length).toBe(4);
      expect(byActor.every((item) => item.actor.id === member.id)).toBe(true);

      const failures = await auditEvents(t, acme.admin.accessToken, {
        targetType: 'user',
        targetId: member.id,
        outcome: 'failure',
      });
      expect(failures.map((item) => item.metadata.reason)).toEqual([
        'bad_password',
        'bad_password',
      ]);
      expect(
        await auditEvents(t, acme.admin.accessToken, {
          targetType: 'session',
          targetId: member.id,
        }),
      ).toEqual([]);
    });

    it('filters by time: from and to are inclusive instants', async () => {
      const all = await auditEvents(t, acme.admin.accessToken);
      const oldest = all.at(-1)!;
      const newest = all[0];
      const upToOldest = await auditEvents(t, acme.admin.accessToken, { to: oldest.at });
      expect(upToOldest.map((item) => item.id)).toContain(oldest.id);
      expect(upToOldest.every((item) => item.at <= oldest.at)).toBe(true);
      const fromNewest = await auditEvents(t, acme.admin.accessToken, { from: newest.at });
      expect(fromNewest.map((item) => item.id)).toContain(newest.id);
      expect(fromNewest.every((item) => item.at >= newest.at)).toBe(true);
      // The ends of the calendar are valid bounds, on either engine.
      const everything = await auditEvents(t, acme.admin.accessToken, {
        from: '0100-01-01T00:00:00Z',
        to: '9999-12-31T23:59:59.999Z',
      });
      expect(everything.map((item) => item.id)).toEqual(all.map((item) => item.id));
      expect(
        await auditEvents(t, acme.admin.accessToken, {
          from: '2000-01-01T00:00:00Z',
          to: '2000-12-31T23:59:59.999+00:00',
        }),
      ).toEqual([]);
    });

    it('pages with limit and cursor, without gaps or repeats', async () => {
      const all = await auditEvents(t, acme.admin.accessToken);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await list({ limit: '2', ...(cursor ? { cursor } : {}) });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((item: AuditItem) => item.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.map((item) => item.id));
      const first = await list({});
      expect(first.body.items.length).toBe(Math.min(20, all.length));
    });

    it("is tenant-scoped in the query: another tenant's events never show, whatever the filter", async () => {
      const theirs = await auditEvents(t, other.admin.accessToken);
      expect(theirs.length).toBeGreaterThan(0);
      expect(theirs.every((item) => item.tenantId === other.tenant.id)).toBe(true);
      const ours = await auditEvents(t, acme.admin.accessToken);
      const ourIds = new Set(ours.map((item) => item.id));
      expect(theirs.some((item) => ourIds.has(item.id))).toBe(false);
      // Asking for the other tenant's actor, or naming a tenant, gets nothing of theirs.
      expect(await auditEvents(t, acme.admin.accessToken, { actorId: other.admin.id })).toEqual([]);
      const named = await list({ tenantId: other.tenant.id });
      expect(named.status).toBe(400);
      expect(named.body.code).toBe('validation_failed');
      // A cursor taken from the other tenant's list does not open it either.
      const page = await list({ limit: '1' }, other.admin.accessToken);
      const crossed = await list({ cursor: page.body.nextCursor as string });
      expect(crossed.status).toBe(200);
      expect(
        (crossed.body.items as AuditItem[]).every((item) => item.tenantId === acme.tenant.id),
      ).toBe(true);
    });

    it('refuses every bad parameter with 400 validation_failed naming it, never a 5xx', async () => {
      const cases: [Record<string, string | string[]>, string][] = [
        [{ limit: '0' }, 'limit'],
        [{ limit: '101' }, 'limit'],
        [{ limit: 'ten' }, 'limit'],
        [{ limit: '1.5' }, 'limit'],
        [{ limit: '-1' }, 'limit'],
        [{ limit: '' }, 'limit'],
        [{ limit: ['1', '2'] }, 'limit'],
        [{ outcome: 'maybe' }, 'outcome'],
        [{ outcome: ['success', 'failure'] }, 'outcome'],
        [{ from: 'yesterday' }, 'from'],
        [{ from: '2024-13-01T00:00:00Z' }, 'from'],
        [{ to: '2024-02-30T00:00:00Z' }, 'to'],
        [{ to: `2024-01-01T00:00:00Z${'0'.repeat(100)}` }, 'to'],
        [{ from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 'from'],
        [{ action: 'AUTH.LOGIN' }, 'action'],
        [{ action: 'auth.*.x' }, 'action'],
        [{ action: "auth.login' OR 1=1 --" }, 'action'],
        [{ action: 'auth.%' }, 'action'],
        [{ action: '*' }, 'action'],
        [{ action: 'a'.repeat(65) }, 'action'],
        [{ action: ['auth.login', 'auth.logout'] }, 'action'],
        [{ actorId: 'a'.repeat(129) }, 'actorId'],
        [{ actorId: 'has space' }, 'actorId'],
        [{ targetType: 'user; DROP TABLE' }, 'targetType'],
        [{ targetId: '\u0000' }, 'targetId'],
        [{ cursor: 'not a cursor' }, 'cursor'],
        [{ cursor: 'bm90LWEtdXVpZA' }, 'cursor'],
        [{ cursor: Buffer.from("x' OR 1=1").toString('base64url') }, 'cursor'],
        [{ cursor: 'x'.repeat(201) }, 'cursor'],
        [{ cursor: '%00' }, 'cursor'],
        [{ unknown: '1' }, 'unknown'],
      ];
      for (const [query, field] of cases) {
        const res = await list(query as Record<string, string>);
        expect(res.status, JSON.stringify(query)).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body.code).toBe('validation_failed');
        expect(
          (res.body.errors as { field: string }[]).map((error) => error.field),
          JSON.stringify(query),
        ).toContain(field);
      }
    });

    it('needs read on AuditEvent: a member gets 403 (and access.denied is recorded), nobody 401', async () => {
      const registered = await register(t, acme.tenant.slug);
      const denied = await list({}, registered.accessToken);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('forbidden');
      expect(
        (await t.http().get('/v1/audit-events/verify').set(bearer(registered.accessToken))).status,
      ).toBe(403);
      const anonymous = await t.http().get('/v1/audit-events');
      expect(anonymous.status).toBe(401);
      const events = await auditEvents(t, acme.admin.accessToken, {
        action: 'access.denied',
        actorId: registered.user.id,
      });
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({
        outcome: 'failure',
        actor: { type: 'user', id: registered.user.id },
        target: { type: 'AuditEvent', id: null },
        metadata: { required: 'read AuditEvent' },
      });
    });

    it('offers no route that changes the log', async () => {
      for (const method of ['post', 'put', 'patch', 'delete'] as const) {
        for (const path of ['/v1/audit-events', '/v1/audit-events/verify']) {
          const res = await t.http()[method](path).set(bearer(acme.admin.accessToken)).send({});
          expect(res.status, `${method} ${path}`).toBe(404);
        }
      }
    });
  });

  describe('GET /v1/audit-events/verify', () => {
    const verify = (token: string) => t.http().get('/v1/audit-events/verify').set(bearer(token));

    /** A tenant of its own, with a few events in its chain. */
    async function chainOf(size: number): Promise<{ tenant: TenantAdmin; ids: string[] }> {
      const tenant = await tenantWithAdmin(t);
      for (let i = 0; i < size; i++) {
        await t
          .http()
          .post('/v1/auth/login')
          .send({
            tenant: tenant.tenant.slug,
            email: uniqueEmail(),
            password: `wrong password ${i}`,
          });
      }
      await t.flushAudit();
      const rows = await selectRows(t, 'audit_events', 'chain = :chain', {
        chain: tenant.tenant.id,
      });
      const ids = rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((row) => String(row.id));
      return { tenant, ids };
    }

    it('answers valid for an untouched chain, having checked every row', async () => {
      const { tenant, ids } = await chainOf(4);
      const res = await verify(tenant.admin.accessToken);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: true, checked: ids.length, firstBrokenId: null });
      expect(ids.length).toBeGreaterThanOrEqual(5);
    });

    it('an edited row breaks the chain at that row', async () => {
      const { tenant, ids } = await chainOf(4);
      const victim = ids[2];
      await updateRow(t, 'audit_events', victim, { outcome: 'success' });
      const res = await verify(tenant.admin.accessToken);
      expect(res.body).toEqual({ valid: false, checked: 3, firstBrokenId: victim });
    });

    it('an edit that recomputes the row hash without the chain key breaks at that row', async () => {
      const { tenant, ids } = await chainOf(4);
      const repository = t.app.get(DataSource).getRepository(AuditEvent);
      const row = await repository.findOneByOrFail({ id: ids[1] });
      row.metadata = { reason: 'rewritten' };
      await repository.update({ id: row.id }, { metadata: row.metadata, hash: hashEvent(row) });
      const res = await verify(tenant.admin.accessToken);
      expect(res.body).toEqual({ valid: false, checked: 2, firstBrokenId: ids[1] });
    });

    it('a deleted row in the middle breaks the chain at the row after it', async () => {
      const { tenant, ids } = await chainOf(4);
      await t.app
        .get(DataSource)
        .createQueryBuilder()
        .delete()
        .from('audit_events')
        .where('id = :id', { id: ids[2] })
        .execute();
      const res = await verify(tenant.admin.accessToken);
      expect(res.body).toEqual({ valid: false, checked: 3, firstBrokenId: ids[3] });
    });

    it("verifies only the caller's tenant: tampering elsewhere does not show here", async () => {
      const broken = await chainOf(2);
      await updateRow(t, 'audit_events', broken.ids[1], { action: 'auth.logout' });
      expect((await verify(broken.tenant.admin.accessToken)).body.valid).toBe(false);
      const intact = await chainOf(2);
      expect((await verify(intact.tenant.admin.accessToken)).body).toMatchObject({ valid: true });
    });
  });

  describe('recording', () => {
    it('adds no database round trip on the request path: the request answers before any audit write', async () => {
      const audit = t.app.get(AuditService);
      await t.flushAudit();
      const queries: string[] = [];
      const dataSource = t.app.get(DataSource);
      const logQuery = dataSource.logger.logQuery.bind(dataSource.logger);
      dataSource.logger.logQuery = (query, parameters, runner) => {
        queries.push(query);
        logQuery(query, parameters, runner);
      };
      // Writing is held back: if recording waited for the database, the request would hang.
      const flush = audit.flush.bind(audit);
      audit.flush = () => Promise.resolve();
      try {
        const before = audit.pending;
        const res = await t.http().get('/v1/audit-events').set(bearer('a.b.c'));
        expect(res.status).toBe(401);
        const denied = await t
          .http()
          .get('/v1/audit-events/verify')
          .set(bearer((await register(t, acme.tenant.slug)).accessToken));
        expect(denied.status).toBe(403);
        expect(audit.pending).toBeGreaterThan(before);
        // The hook does see the request path's own queries (registration wrote rows)…
        expect(queries.length).toBeGreaterThan(0);
        // …and none of them touched the audit log.
        expect(queries.filter((query) => /audit_events/i.test(query))).toEqual([]);
      } finally {
        audit.flush = flush;
        dataSource.logger.logQuery = logQuery;
      }
      await t.flushAudit();
      expect(audit.pending).toBe(0);
    });
  });
});
