import { DataSource } from 'typeorm';
import { TenantScope } from '../../src/common/database/tenant-scope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackgroundTasks } from '../../src/account/background-tasks';
import { PasswordLinksService } from '../../src/account/password/password-links.service';
import { InvalidationBus } from '../../src/common/cache/invalidation-bus';
import { randomSecret, sha256Hex } from '../../src/common/crypto/tokens';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { MailService } from '../../src/mail/mail.service';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { UserAccountsService } from '../../src/users/user-accounts.service';
import { bearer, createTenant, login, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import { auditEvents, expectNoSecretsInLogs } from './support/helpers';
import { linkOf, type ReceivedMail, SmtpSink, tokenOf } from './support/smtp-sink';

const APP_URL = 'https://app.example.test';
const NEW_PASSWORD = 'another quite unusual passphrase';
const isLink = (path: string) => (mail: ReceivedMail) => linkOf(mail).pathname === path;

describe('password reset and invite links', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let tenant: Tenant;
  const secrets: string[] = [NEW_PASSWORD, STRONG_PASSWORD];

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await createTestApp({ env: { SMTP_URL: sink.url, APP_URL } });
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  async function settle(): Promise<void> {
    await t.app.get(BackgroundTasks).settled();
    await t.app.get(MailService).idle();
  }

  async function tokenRow(token: string): Promise<Record<string, unknown>> {
    const [row] = await selectRows(t, 'action_tokens', 'token_hash = :hash', {
      hash: sha256Hex(token),
    });
    if (!row) throw new Error('no token row');
    return row;
  }

  async function requestReset(email: string): Promise<string> {
    const res = await t
      .http()
      .post('/v1/auth/password/forgot')
      .send({ tenant: tenant.slug, email });
    expect(res.status).toBe(202);
    const mail = await sink.waitFor(email, isLink('/reset-password'));
    const token = tokenOf(mail);
    secrets.push(token);
    return token;
  }

  it('mails a link that sets the password, verifies the email and ends every session', async () => {
    const account = await register(t, tenant.slug);
    const email = account.user.email;
    const other = await login(t, tenant.slug, email);

    const res = await t
      .http()
      .post('/v1/auth/password/forgot')
      .send({ tenant: tenant.slug, email: email.toUpperCase() });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted' });

    const mail = await sink.waitFor(email, isLink('/reset-password'));
    const link = linkOf(mail);
    expect(link.origin).toBe(APP_URL);
    const token = tokenOf(mail);
    secrets.push(token);
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(mail.subject).toBe(`Reset your ${tenant.name} password`);
    expect(mail.text).toContain('30 minutes');
    expect(mail.html).toContain(`href="${APP_URL}/reset-password?token=${token}"`);
    // The token is the only secret in the mail: no other long random string, no password.
    for (const part of [mail.text, mail.html]) {
      const longStrings = [...part.matchAll(/[\w-]{24,}/g)].map((m) => m[0]);
      expect(longStrings).toEqual([token]);
      expect(part).not.toContain(STRONG_PASSWORD);
    }
    // Stored only as its SHA-256.
    const row = await tokenRow(token);
    expect(row.purpose).toBe('password_reset');
    expect(JSON.stringify(row)).not.toContain(token);

    const reset = await t
      .http()
      .post('/v1/auth/password/reset')
      .send({ token, newPassword: NEW_PASSWORD });
    expect(reset.status).toBe(204);

    const old = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email, password: STRONG_PASSWORD });
    expect(old.status).toBe(401);
    const fresh = await login(t, tenant.slug, email, NEW_PASSWORD);
    // Every earlier session is over: refresh tokens and access tokens alike.
    for (const pair of [account, other]) {
      const refresh = await t
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: pair.refreshToken });
      expect(refresh.status).toBe(401);
      const me = await t.http().get('/v1/auth/me').set(bearer(pair.accessToken));
      expect(me.status).toBe(401);
    }
    const me = await t.http().get('/v1/auth/me').set(bearer(fresh.accessToken));
    expect(me.body.user.emailVerified).toBe(true);

    const again = await t
      .http()
      .post('/v1/auth/password/reset')
      .send({ token, newPassword: 'yet another unusual passphrase' });
    expect(again.status).toBe(400);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.body.code).toBe('invalid_token');

    const requested = await auditEvents(t, 'auth.password.reset_requested', account.user.id);
    expect(requested).toEqual([
      expect.objectContaining({ outcome: 'success', metadata: { mailed: true } }),
    ]);
    const done = await auditEvents(t, 'auth.password.reset', account.user.id);
    expect(done).toEqual([
      expect.objectContaining({
        outcome: 'success',
        tenantId: tenant.id,
        actorId: account.user.id,
        metadata: { via: 'password_reset', revokedSessions: 2 },
      }),
    ]);
    expectNoSecretsInLogs(t, secrets);
  });

  it('answers the same 202 for unknown tenants, unknown emails and disabled accounts, and mails nothing', async () => {
    const disabled = await register(t, tenant.slug);
    await updateRow(t, 'users', disabled.user.id, { status: 'disabled' });
    const suspended = await createTenant(t);
    const inSuspended = await register(t, suspended.slug);
    await updateRow(t, 'tenants', suspended.id, { status: 'suspended' });
    // What the tenants module does on a change: drop the cached tenant everywhere.
    t.app.get(InvalidationBus).publish('tenant', suspended.id);
    const nobody = uniqueEmail('nobody');
    await settle();
    const before = sink.messages.length;

    const bodies = [];
    for (const body of [
      { tenant: 'no-such-tenant', email: nobody },
      { tenant: tenant.slug, email: nobody },
      { tenant: tenant.slug, email: disabled.user.email },
      { tenant: suspended.slug, email: inSuspended.user.email },
    ]) {
      const res = await t.http().post('/v1/auth/password/forgot').send(body);
      expect(res.status).toBe(202);
      bodies.push(res.body);
    }
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    await settle();
    expect(sink.messages.length).toBe(before);

    const refused = await auditEvents(t, 'auth.password.reset_requested', disabled.user.id);
    expect(refused).toEqual([
      expect.objectContaining({ outcome: 'failure', metadata: { reason: 'user_disabled' } }),
    ]);
    const unknown = await selectRows(
      t,
      'audit_events',
      'action = :action AND outcome = :outcome AND target_id IS NULL',
      { action: 'auth.password.reset_requested', outcome: 'failure' },
    );
    expect(unknown.length).toBeGreaterThanOrEqual(2);
  });

  it('mails at most one reset link a minute per account', async () => {
    const account = await register(t, tenant.slug);
    await requestReset(account.user.email);
    for (let i = 0; i < 3; i++) {
      const res = await t
        .http()
        .post('/v1/auth/password/forgot')
        .send({ tenant: tenant.slug, email: account.user.email });
      expect(res.status).toBe(202);
    }
    await settle();
    expect(sink.mailsTo(account.user.email).filter(isLink('/reset-password'))).toHaveLength(1);
  });

  it('refuses forged, expired and superseded tokens, and tokens of another purpose', async () => {
    const account = await register(t, tenant.slug);
    const attempts: [string, string][] = [
      ['forged', randomSecret()],
      ['garbage', 'x'],
    ];

    const expired = await requestReset(account.user.email);
    await updateRow(t, 'action_tokens', String((await tokenRow(expired)).id), {
      expiresAt: new Date(Date.now() - 1000),
    });
    attempts.push(['expired', expired]);

    // A newer link voids the older one (the first is backdated past the one-a-minute limit).
    const older = await tokenRow(expired);
    await updateRow(t, 'action_tokens', String(older.id), {
      expiresAt: new Date(Date.now() + 600_000),
      createdAt: new Date(Date.now() - 120_000),
    });
    const newer = await (async () => {
      const res = await t
        .http()
        .post('/v1/auth/password/forgot')
        .send({ tenant: tenant.slug, email: account.user.email });
      expect(res.status).toBe(202);
      const mail = await sink.waitFor(
        account.user.email,
        (m) => isLink('/reset-password')(m) && tokenOf(m) !== expired,
      );
      return tokenOf(mail);
    })();
    secrets.push(newer);
    attempts.push(['superseded', expired]);

    const verification = tokenOf(await sink.waitFor(account.user.email, isLink('/verify-email')));
    secrets.push(verification);
    attempts.push(['verification token', verification]);

    for (const [label, token] of attempts) {
      const res = await t
        .http()
        .post('/v1/auth/password/reset')
        .send({ token, newPassword: NEW_PASSWORD });
      expect(res.status, label).toBe(400);
      expect(res.body.code, label).toBe('invalid_token');
    }
    const ok = await t
      .http()
      .post('/v1/auth/password/reset')
      .send({ token: newer, newPassword: NEW_PASSWORD });
    expect(ok.status).toBe(204);
    expectNoSecretsInLogs(t, secrets);
  });

  it('keeps the link usable when the new password is refused', async () => {
    const account = await register(t, tenant.slug);
    const token = await requestReset(account.user.email);
    for (const newPassword of ['password123', 'short', account.user.email]) {
      const res = await t.http().post('/v1/auth/password/reset').send({ token, newPassword });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors).toEqual([{ field: 'newPassword', message: expect.any(String) }]);
    }
    const ok = await t
      .http()
      .post('/v1/auth/password/reset')
      .send({ token, newPassword: NEW_PASSWORD });
    expect(ok.status).toBe(204);
  });

  it('lets exactly one of several concurrent redemptions through', async () => {
    const account = await register(t, tenant.slug);
    const token = await requestReset(account.user.email);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t
          .http()
          .post('/v1/auth/password/reset')
          .send({ token, newPassword: `${NEW_PASSWORD} ${i}` }),
      ),
    );
    expect(results.map((res) => res.status).sort()).toEqual([204, 400, 400, 400, 400]);
  });

  it('a password change voids reset links mailed before it', async () => {
    const account = await register(t, tenant.slug);
    const token = await requestReset(account.user.email);
    const change = await t
      .http()
      .post('/v1/auth/password/change')
      .set(bearer(account.accessToken))
      .send({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
    expect(change.status).toBe(204);
    const res = await t
      .http()
      .post('/v1/auth/password/reset')
      .send({ token, newPassword: 'a third unusual passphrase' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_token');
  });

  it('refuses a link once the account has changed its email address', async () => {
    const account = await register(t, tenant.slug);
    const token = await requestReset(account.user.email);
    await updateRow(t, 'users', account.user.id, { email: uniqueEmail('moved') });
    const res = await t
      .http()
      .post('/v1/auth/password/reset')
      .send({ token, newPassword: NEW_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_token');
  });

  describe('invites', () => {
    async function invite(email: string) {
      const accounts = t.app.get(UserAccountsService);
      const user = await t.app
        .get(TenantScope)
        .run(tenant.id, () =>
          t.app
            .get(TransactionRunner)
            .run((manager) =>
              accounts.create(manager, { email, name: 'Grace', roleNames: ['member'] }, null),
            ),
        );
      await accounts.announceCreated(user, 'invite');
      const sent = await t.app.get(PasswordLinksService).sendInvite(user, tenant);
      return { user, sent };
    }

    it('mails a 7-day set-password link that password/reset redeems', async () => {
      const email = uniqueEmail('invitee');
      const { user, sent } = await invite(email);
      const week = 7 * 24 * 3600 * 1000;
      expect(Math.abs(sent.expiresAt.getTime() - Date.now() - week)).toBeLessThan(60_000);

      const mail = await sink.waitFor(email, isLink('/accept-invite'));
      expect(linkOf(mail).origin).toBe(APP_URL);
      expect(mail.subject).toBe(`You are invited to ${tenant.name}`);
      expect(mail.text).toContain('Hello Grace,');
      expect(mail.text).toContain('7 days');
      const token = tokenOf(mail);
      secrets.push(token);

      const res = await t
        .http()
        .post('/v1/auth/password/reset')
        .send({ token, newPassword: NEW_PASSWORD });
      expect(res.status).toBe(204);
      const pair = await login(t, tenant.slug, email, NEW_PASSWORD);
      const me = await t.http().get('/v1/auth/me').set(bearer(pair.accessToken));
      expect(me.body.user.emailVerified).toBe(true);
      // The invite proved the mailbox: no verification mail was sent.
      await settle();
      expect(sink.mailsTo(email).filter(isLink('/verify-email'))).toEqual([]);
      const audit = await auditEvents(t, 'auth.password.reset', user.id);
      expect(audit).toEqual([
        expect.objectContaining({ metadata: { via: 'invite', revokedSessions: 0 } }),
      ]);
    });

    it('a new invite voids the earlier one', async () => {
      const email = uniqueEmail('reinvited');
      const { user } = await invite(email);
      const first = tokenOf(await sink.waitFor(email, isLink('/accept-invite')));
      await t.app.get(PasswordLinksService).sendInvite(user, tenant);
      const second = tokenOf(
        await sink.waitFor(email, (m) => isLink('/accept-invite')(m) && tokenOf(m) !== first),
      );
      secrets.push(first, second);
      const stale = await t
        .http()
        .post('/v1/auth/password/reset')
        .send({ token: first, newPassword: NEW_PASSWORD });
      expect(stale.status).toBe(400);
      expect(stale.body.code).toBe('invalid_token');
      const ok = await t
        .http()
        .post('/v1/auth/password/reset')
        .send({ token: second, newPassword: NEW_PASSWORD });
      expect(ok.status).toBe(204);
    });
  });

  it('validates both bodies', async () => {
    const bad: [string, object][] = [
      ['/v1/auth/password/forgot', { tenant: tenant.slug }],
      ['/v1/auth/password/forgot', { tenant: tenant.slug, email: 'not-an-email' }],
      ['/v1/auth/password/forgot', { tenant: 'UPPER', email: uniqueEmail() }],
      ['/v1/auth/password/forgot', { tenant: tenant.slug, email: uniqueEmail(), extra: 1 }],
      ['/v1/auth/password/reset', { token: randomSecret() }],
      ['/v1/auth/password/reset', { token: 'x'.repeat(129), newPassword: NEW_PASSWORD }],
      ['/v1/auth/password/reset', { token: 42, newPassword: NEW_PASSWORD }],
      ['/v1/auth/password/reset', { token: randomSecret(), newPassword: 'x'.repeat(1025) }],
      [
        '/v1/auth/password/reset',
        { token: randomSecret(), newPassword: NEW_PASSWORD, userId: 'x' },
      ],
    ];
    for (const [path, body] of bad) {
      const res = await t.http().post(path).send(body);
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const malformed = await t
      .http()
      .post('/v1/auth/password/reset')
      .set('content-type', 'application/json')
      .send('{"token":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('malformed_json');
    // Nothing was written by the refused requests.
    const dataSource = t.app.get(DataSource);
    expect(dataSource.isInitialized).toBe(true);
  });
});
