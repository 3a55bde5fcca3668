import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { bearer, createTenant, register, STRONG_PASSWORD, type TokenPair } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { updateRow } from '../support/sql';
import { auditEvents, expectNoSecretsInLogs } from './support/helpers';

const NEW_PASSWORD = 'a different unusual passphrase';

interface SessionItem {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

describe('sessions and password change', () => {
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
  });
  afterAll(() => t?.close());

  async function signIn(
    email: string,
    userAgent: string,
    password = STRONG_PASSWORD,
  ): Promise<TokenPair> {
    const res = await t
      .http()
      .post('/v1/auth/login')
      .set('User-Agent', userAgent)
      .send({ tenant: tenant.slug, email, password });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as TokenPair;
  }

  async function sessionsOf(
    pair: TokenPair,
    query = '',
  ): Promise<{ items: SessionItem[]; nextCursor: string | null }> {
    const res = await t.http().get(`/v1/auth/sessions${query}`).set(bearer(pair.accessToken));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { items: SessionItem[]; nextCursor: string | null };
  }

  it('lists the live sessions of the caller, newest first, marking the current one', async () => {
    const account = await register(t, tenant.slug);
    const laptop = await signIn(account.user.email, 'Laptop/1.0');
    const phone = await signIn(account.user.email, 'Phone/2.0');
    const list = await sessionsOf(phone);
    expect(list.nextCursor).toBeNull();
    expect(list.items.map((s) => s.userAgent)).toEqual(['Phone/2.0', 'Laptop/1.0', null]);
    expect(list.items.map((s) => s.current)).toEqual([true, false, false]);
    for (const item of list.items) {
      expect(Object.keys(item).sort()).toEqual(
        ['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent'].sort(),
      );
      expect(item.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(item.expiresAt).getTime()).toBeGreaterThan(Date.now());
      expect(item.ip).toMatch(/127\.0\.0\.1|::1/);
    }
    // Another user sees only their own.
    const other = await register(t, tenant.slug);
    expect((await sessionsOf(other)).items).toHaveLength(1);

    // Ended sessions are not listed: logged out, past their absolute end, or idle too long.
    await t.http().post('/v1/auth/logout').send({ refreshToken: laptop.refreshToken }).expect(204);
    const third = list.items[2];
    if (!third) throw new Error('missing session');
    await updateRow(t, 'sessions', third.id, { expiresAt: new Date(Date.now() - 1000) });
    expect((await sessionsOf(phone)).items.map((s) => s.userAgent)).toEqual(['Phone/2.0']);
  });

  it('pages with limit and an opaque cursor', async () => {
    const account = await register(t, tenant.slug);
    for (let i = 1; i <= 4; i++) await signIn(account.user.email, `Device/${i}`);
    const first = await sessionsOf(account, '?limit=2');
    expect(first.items.map((s) => s.userAgent)).toEqual(['Device/4', 'Device/3']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await sessionsOf(account, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((s) => s.userAgent)).toEqual(['Device/2', 'Device/1']);
    const third = await sessionsOf(account, `?limit=2&cursor=${second.nextCursor}`);
    expect(third.items).toHaveLength(1);
    expect(third.items[0]?.current).toBe(true);
    expect(third.nextCursor).toBeNull();

    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=abc',
      '?cursor=not-a-cursor',
      '?sort=asc',
    ]) {
      const res = await t.http().get(`/v1/auth/sessions${query}`).set(bearer(account.accessToken));
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await t.http().get('/v1/auth/sessions')).status).toBe(401);
  });

  it('ends one of the caller’s sessions, and answers 404 for anyone else’s', async () => {
    const account = await register(t, tenant.slug);
    const phone = await signIn(account.user.email, 'Phone/2.0');
    const list = await sessionsOf(account);
    const phoneSession = list.items.find((s) => s.userAgent === 'Phone/2.0');
    if (!phoneSession) throw new Error('missing session');

    const stranger = await register(t, tenant.slug);
    const elsewhere = await createTenant(t);
    const foreigner = await register(t, elsewhere.slug);
    for (const intruder of [stranger, foreigner]) {
      const res = await t
        .http()
        .delete(`/v1/auth/sessions/${phoneSession.id}`)
        .set(bearer(intruder.accessToken));
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    await t.http().get('/v1/auth/me').set(bearer(phone.accessToken)).expect(200);

    const res = await t
      .http()
      .delete(`/v1/auth/sessions/${phoneSession.id}`)
      .set(bearer(account.accessToken));
    expect(res.status).toBe(204);
    expect((await t.http().get('/v1/auth/me').set(bearer(phone.accessToken))).status).toBe(401);
    const refresh = await t
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: phone.refreshToken });
    expect(refresh.status).toBe(401);
    expect((await sessionsOf(account)).items.map((s) => s.userAgent)).not.toContain('Phone/2.0');

    for (const id of [phoneSession.id, '0190a5b2-0000-7000-8000-000000000000', 'not-a-uuid']) {
      const again = await t
        .http()
        .delete(`/v1/auth/sessions/${id}`)
        .set(bearer(account.accessToken));
      expect(again.status, id).toBe(404);
    }
    const audit = await auditEvents(t, 'auth.logout', phoneSession.id);
    expect(audit).toEqual([
      expect.objectContaining({
        outcome: 'success',
        actorId: account.user.id,
        metadata: { scope: 'session' },
      }),
    ]);
  });

  describe('POST /v1/auth/password/change', () => {
    it('changes the password and ends every other session, keeping the current one', async () => {
      const account = await register(t, tenant.slug);
      const other = await signIn(account.user.email, 'Other/1.0');
      const current = await signIn(account.user.email, 'Current/1.0');

      const res = await t
        .http()
        .post('/v1/auth/password/change')
        .set(bearer(current.accessToken))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
      expect(res.status).toBe(204);

      await t.http().get('/v1/auth/me').set(bearer(current.accessToken)).expect(200);
      await t
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: current.refreshToken })
        .expect(200);
      for (const pair of [account, other]) {
        expect((await t.http().get('/v1/auth/me').set(bearer(pair.accessToken))).status).toBe(401);
        const refresh = await t
          .http()
          .post('/v1/auth/refresh')
          .send({ refreshToken: pair.refreshToken });
        expect(refresh.status).toBe(401);
      }
      const old = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: tenant.slug, email: account.user.email, password: STRONG_PASSWORD });
      expect(old.status).toBe(401);
      await signIn(account.user.email, 'New/1.0', NEW_PASSWORD);

      const audit = await auditEvents(t, 'auth.password.change', account.user.id);
      expect(audit).toEqual([
        expect.objectContaining({
          outcome: 'success',
          actorId: account.user.id,
          metadata: { revokedSessions: 2 },
        }),
      ]);
      expectNoSecretsInLogs(t, [STRONG_PASSWORD, NEW_PASSWORD]);
    });

    it('refuses a wrong current password with 400 invalid_current_password, and a weak new one', async () => {
      const account = await register(t, tenant.slug);
      const wrong = await t
        .http()
        .post('/v1/auth/password/change')
        .set(bearer(account.accessToken))
        .send({ currentPassword: 'not my password at all', newPassword: NEW_PASSWORD });
      expect(wrong.status).toBe(400);
      expect(wrong.headers['content-type']).toContain('application/problem+json');
      expect(wrong.body.code).toBe('invalid_current_password');

      const weak = await t
        .http()
        .post('/v1/auth/password/change')
        .set(bearer(account.accessToken))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: 'password1' });
      expect(weak.status).toBe(400);
      expect(weak.body.code).toBe('validation_failed');
      expect(weak.body.errors).toEqual([
        { field: 'newPassword', message: expect.stringMatching(/common/) },
      ]);

      // Nothing changed: the old password still works, the session is still live.
      await signIn(account.user.email, 'Again/1.0');
      await t.http().get('/v1/auth/me').set(bearer(account.accessToken)).expect(200);
      const audit = await auditEvents(t, 'auth.password.change', account.user.id);
      expect(audit).toEqual([
        expect.objectContaining({
          outcome: 'failure',
          metadata: { reason: 'invalid_current_password' },
        }),
      ]);
    });

    it('validates the body and needs a bearer token', async () => {
      const account = await register(t, tenant.slug);
      for (const body of [
        { currentPassword: STRONG_PASSWORD },
        { newPassword: NEW_PASSWORD },
        { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, userId: account.user.id },
        { currentPassword: 'x'.repeat(1025), newPassword: NEW_PASSWORD },
        { currentPassword: STRONG_PASSWORD, newPassword: 12345678 },
      ]) {
        const res = await t
          .http()
          .post('/v1/auth/password/change')
          .set(bearer(account.accessToken))
          .send(body);
        expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
        expect(res.body.code).toBe('validation_failed');
      }
      const anonymous = await t
        .http()
        .post('/v1/auth/password/change')
        .send({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
      expect(anonymous.status).toBe(401);
    });
  });
});
