import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { bearer, createTenant, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import { auditEvents, grantRole, type TenantAdmin } from './helpers';

const LIMITS = {
  anonymous: { limit: 1000, ttl: 600 },
  tiers: {
    free: { limit: 3, ttl: 600 },
    pro: { limit: 1000, ttl: 600 },
    enterprise: { limit: 1000, ttl: 600 },
  },
  routes: {
    login: { limit: 1000, ttl: 600 },
    register: { limit: 1000, ttl: 600 },
    passwordForgot: { limit: 1000, ttl: 600 },
    passwordReset: { limit: 1000, ttl: 600 },
    refresh: { limit: 1000, ttl: 600 },
  },
};

/**
 * One test per SPEC §11 action this part of the product performs, read back through the API,
 * then a sweep of every event and log line for anything secret.
 */
describe('audit events of authentication and the gateway', () => {
  let t: TestApp;
  let acme: TenantAdmin;
  /** Everything secret the tests handle: none of it may appear in an event or a log line. */
  const secrets = new Set<string>([STRONG_PASSWORD]);

  const wrong = (label: string) => {
    const password = `wrong-password-${label}-${Math.random().toString(36).slice(2)}`;
    secrets.add(password);
    return password;
  };
  const signUp = async (slug: string) => {
    const account = await register(t, slug);
    secrets.add(account.accessToken).add(account.refreshToken);
    return account;
  };
  const events = (query: Record<string, string>) => auditEvents(t, acme.admin.accessToken, query);

  beforeAll(async () => {
    t = await createTestApp({
      env: { RATE_LIMITS: JSON.stringify(LIMITS), LOCKOUT_THRESHOLD: '3' },
    });
    const tenant = await createTenant(t, { plan: 'pro' });
    const admin = await signUp(tenant.slug);
    await grantRole(t, tenant.id, admin.user.id, 'admin');
    acme = {
      tenant: { id: tenant.id, slug: tenant.slug },
      admin: { ...admin.user, accessToken: admin.accessToken, refreshToken: admin.refreshToken },
    };
  });
  afterAll(() => t.close());

  it('auth.register: the new user, as actor and target', async () => {
    const account = await signUp(acme.tenant.slug);
    const [event] = await events({ action: 'auth.register', targetId: account.user.id });
    expect(event).toMatchObject({
      tenantId: acme.tenant.id,
      outcome: 'success',
      actor: { type: 'user', id: account.user.id },
      target: { type: 'user', id: account.user.id },
      requestId: expect.any(String),
    });
  });

  it('auth.login: success with its method, failures with their reason', async () => {
    const account = await signUp(acme.tenant.slug);
    const login = (password: string, email = account.user.email) =>
      t.http().post('/v1/auth/login').send({ tenant: acme.tenant.slug, email, password });
    expect((await login(STRONG_PASSWORD)).status).toBe(200);
    expect((await login(wrong('login'))).status).toBe(401);
    const stranger = uniqueEmail('nobody');
    expect((await login(wrong('unknown'), stranger)).status).toBe(401);

    const own = await events({ action: 'auth.login', targetId: account.user.id });
    expect(own.map((e) => [e.outcome, e.metadata])).toEqual([
      ['failure', { reason: 'bad_password' }],
      ['success', { method: 'password' }],
    ]);

    await updateRow(t, 'users', account.user.id, { status: 'disabled' });
    expect((await login(STRONG_PASSWORD)).status).toBe(401);
    const [disabled] = await events({ action: 'auth.login', targetId: account.user.id });
    expect(disabled).toMatchObject({ outcome: 'failure', metadata: { reason: 'user_disabled' } });

    const unknown = (await events({ action: 'auth.login', outcome: 'failure' })).filter(
      (e) => e.metadata.reason === 'unknown_user',
    );
    expect(unknown.length).toBeGreaterThanOrEqual(1);
    expect(unknown[0].target).toEqual({ type: 'user', id: null });

    // An unknown tenant has no chain of its own: the event goes to the instance chain.
    expect(
      (
        await t
          .http()
          .post('/v1/auth/login')
          .send({ tenant: 'no-such-tenant-x', email: stranger, password: wrong('tenant') })
      ).status,
    ).toBe(401);
    await t.flushAudit();
    const rows = await selectRows(t, 'audit_events', 'chain = :chain AND action = :action', {
      chain: 'instance',
      action: 'auth.login',
    });
    expect(rows.some((row) => String(row.metadata).includes('unknown_tenant'))).toBe(true);
  });

  it('auth.logout: one session, or all of them', async () => {
    const account = await signUp(acme.tenant.slug);
    const res = await t.http().post('/v1/auth/logout').send({ refreshToken: account.refreshToken });
    expect(res.status).toBe(204);
    const [one] = await events({ action: 'auth.logout', actorId: account.user.id });
    expect(one).toMatchObject({ outcome: 'success', target: { type: 'session' } });
    expect(one.target.id).toMatch(/^[0-9a-f-]{36}$/);

    const other = await signUp(acme.tenant.slug);
    expect((await t.http().post('/v1/auth/logout-all').set(bearer(other.accessToken))).status).toBe(
      204,
    );
    const [all] = await events({ action: 'auth.logout', actorId: other.user.id });
    expect(all).toMatchObject({
      target: { type: 'user', id: other.user.id },
      metadata: { scope: 'all', sessions: 1 },
    });
  });

  it('auth.refresh and auth.refresh.reuse_detected', async () => {
    const account = await signUp(acme.tenant.slug);
    const rotated = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(rotated.status).toBe(200);
    secrets.add(rotated.body.accessToken).add(rotated.body.refreshToken);
    const [refresh] = await events({ action: 'auth.refresh', actorId: account.user.id });
    expect(refresh).toMatchObject({ outcome: 'success', target: { type: 'session' } });

    const replay = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: account.refreshToken });
    expect(replay.status).toBe(401);
    const [reuse] = await events({
      action: 'auth.refresh.reuse_detected',
      actorId: account.user.id,
    });
    expect(reuse).toMatchObject({ outcome: 'failure', target: refresh.target });
  });

  it('auth.account.locked, then the refused attempt as auth.login failure "locked"', async () => {
    const account = await signUp(acme.tenant.slug);
    for (let i = 0; i < 3; i++) {
      const res = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: acme.tenant.slug, email: account.user.email, password: wrong('lock') });
      expect(res.status).toBe(401);
    }
    const locked = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: acme.tenant.slug, email: account.user.email, password: STRONG_PASSWORD });
    expect(locked.status).toBe(429);
    const [event] = await events({ action: 'auth.account.locked', targetId: account.user.id });
    expect(event).toMatchObject({
      outcome: 'failure',
      target: { type: 'user', id: account.user.id },
      metadata: { email: account.user.email, lockSeconds: 60, lockCount: 1, threshold: 3 },
    });
    const [refused] = await events({ action: 'auth.login', targetId: account.user.id });
    expect(refused).toMatchObject({ outcome: 'failure', metadata: { reason: 'locked' } });
  });

  it('access.denied: who, what was required, on which route', async () => {
    const member = await signUp(acme.tenant.slug);
    expect((await t.http().get('/v1/audit-events').set(bearer(member.accessToken))).status).toBe(
      403,
    );
    const [event] = await events({ action: 'access.denied', actorId: member.user.id });
    expect(event).toMatchObject({
      outcome: 'failure',
      target: { type: 'AuditEvent', id: null },
      metadata: { required: 'read AuditEvent', route: '/v1/audit-events' },
    });
  });

  it('rate_limit.exceeded: in the tenant of the limited caller, once per window', async () => {
    const free = await createTenant(t, { plan: 'free' });
    const admin = await signUp(free.slug);
    await grantRole(t, free.id, admin.user.id, 'admin');
    const member = await signUp(free.slug);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await t.http().get('/v1/auth/me').set(bearer(member.accessToken))).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const limited = await auditEvents(t, admin.accessToken, { action: 'rate_limit.exceeded' });
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({
      tenantId: free.id,
      outcome: 'failure',
      actor: { type: 'user', id: member.user.id },
      target: { type: 'user', id: member.user.id },
      metadata: {
        bucket: 'caller',
        rule: 'free',
        limit: 3,
        window: 600,
        route: 'GET /v1/auth/me',
        retryAfter: expect.any(Number),
      },
    });
  });

  it('every event is also a JSON log line, and no password, token or secret is in any of them', async () => {
    await t.flushAudit();
    const rows = await t.app
      .get(DataSource)
      .createQueryBuilder()
      .select('*')
      .from('audit_events', 'audit_events')
      .getRawMany<Record<string, unknown>>();
    expect(rows.length).toBeGreaterThan(20);
    const logged = new Set(
      t.logs
        .map((line) => JSON.parse(line) as { audit?: { id: string } })
        .flatMap((line) => (line.audit ? [line.audit.id] : [])),
    );
    for (const row of rows) expect(logged.has(String(row.id))).toBe(true);

    const stored = JSON.stringify(rows);
    const logs = t.logs.join('\n');
    expect(secrets.size).toBeGreaterThan(15);
    for (const secret of secrets) {
      expect(stored.includes(secret), 'a secret is in the audit table').toBe(false);
      expect(logs.includes(secret), 'a secret is in the logs').toBe(false);
    }
    // Nor do the hashes of refresh tokens leave the sessions' tables.
    const hashes = await selectRows(t, 'refresh_tokens', '1 = 1', {});
    for (const row of hashes) {
      expect(stored.includes(String(row.token_hash))).toBe(false);
      expect(logs.includes(String(row.token_hash))).toBe(false);
    }
  });
});
