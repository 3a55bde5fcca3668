import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantScope } from '../../src/common/database/tenant-scope';
import { BackgroundTasks } from '../../src/account/background-tasks';
import { randomSecret, sha256Hex } from '../../src/common/crypto/tokens';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { MailService } from '../../src/mail/mail.service';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { type AccountSource, UserAccountsService } from '../../src/users/user-accounts.service';
import { bearer, createTenant, login, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import { auditEvents, expectNoSecretsInLogs } from './support/helpers';
import { linkOf, type ReceivedMail, SmtpSink, tokenOf } from './support/smtp-sink';

const isVerification = (mail: ReceivedMail) => linkOf(mail).pathname === '/verify-email';

describe('email verification', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let tenant: Tenant;
  const secrets: string[] = [STRONG_PASSWORD];

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await createTestApp({ env: { SMTP_URL: sink.url } });
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

  async function verificationToken(email: string, notIn: string[] = []): Promise<string> {
    const mail = await sink.waitFor(email, (m) => isVerification(m) && !notIn.includes(tokenOf(m)));
    const token = tokenOf(mail);
    secrets.push(token);
    return token;
  }

  async function backdateTokens(userId: string): Promise<void> {
    for (const row of await selectRows(t, 'action_tokens', 'user_id = :userId', { userId })) {
      await updateRow(t, 'action_tokens', String(row.id), {
        createdAt: new Date(Date.now() - 120_000),
      });
    }
  }

  it('mails a link on registration; following it verifies the address once', async () => {
    const account = await register(t, tenant.slug);
    const mail = await sink.waitFor(account.user.email, isVerification);
    // Links default to PUBLIC_URL when APP_URL is not set.
    expect(linkOf(mail).origin).toBe(t.config.http.publicUrl);
    expect(mail.subject).toBe(`Confirm your email address for ${tenant.name}`);
    expect(mail.text).toContain('24 hours');
    const token = tokenOf(mail);
    secrets.push(token);
    for (const part of [mail.text, mail.html]) {
      expect([...part.matchAll(/[\w-]{24,}/g)].map((m) => m[0])).toEqual([token]);
    }

    const res = await t.http().post('/v1/auth/email/verify').send({ token });
    expect(res.status).toBe(204);
    const me = await t.http().get('/v1/auth/me').set(bearer(account.accessToken));
    expect(me.body.user.emailVerified).toBe(true);

    const again = await t.http().post('/v1/auth/email/verify').send({ token });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('invalid_token');

    const audit = await auditEvents(t, 'auth.email.verified', account.user.id);
    expect(audit).toEqual([
      expect.objectContaining({
        outcome: 'success',
        actorId: account.user.id,
        tenantId: tenant.id,
      }),
    ]);
    expectNoSecretsInLogs(t, secrets);
  });

  it('refuses forged, expired and superseded tokens, other purposes and moved addresses', async () => {
    const account = await register(t, tenant.slug);
    const first = await verificationToken(account.user.email);
    const attempts: [string, string][] = [['forged', randomSecret()]];

    await backdateTokens(account.user.id);
    const resend = await t.http().post('/v1/auth/email/resend').set(bearer(account.accessToken));
    expect(resend.status).toBe(202);
    expect(resend.body).toEqual({ status: 'accepted' });
    const second = await verificationToken(account.user.email, [first]);
    attempts.push(['superseded', first]);

    const [row] = await selectRows(t, 'action_tokens', 'token_hash = :hash', {
      hash: sha256Hex(second),
    });
    await updateRow(t, 'action_tokens', String(row?.id), { expiresAt: new Date(Date.now() - 1) });
    attempts.push(['expired', second]);

    await t
      .http()
      .post('/v1/auth/password/forgot')
      .send({ tenant: tenant.slug, email: account.user.email });
    const reset = tokenOf(
      await sink.waitFor(account.user.email, (m) => linkOf(m).pathname === '/reset-password'),
    );
    secrets.push(reset);
    attempts.push(['reset token', reset]);

    for (const [label, token] of attempts) {
      const res = await t.http().post('/v1/auth/email/verify').send({ token });
      expect(res.status, label).toBe(400);
      expect(res.body.code, label).toBe('invalid_token');
    }

    // A link proves the address it went to, not the one the account has moved to since.
    await backdateTokens(account.user.id);
    await t.http().post('/v1/auth/email/resend').set(bearer(account.accessToken)).expect(202);
    const third = await verificationToken(account.user.email, [first, second]);
    await updateRow(t, 'users', account.user.id, { email: uniqueEmail('moved') });
    const moved = await t.http().post('/v1/auth/email/verify').send({ token: third });
    expect(moved.status).toBe(400);
    expect(moved.body.code).toBe('invalid_token');
  });

  it('a resend within the minute answers 429 with Retry-After and mails nothing; nothing once verified', async () => {
    const account = await register(t, tenant.slug);
    const first = await verificationToken(account.user.email);
    await backdateTokens(account.user.id);
    await t.http().post('/v1/auth/email/resend').set(bearer(account.accessToken)).expect(202);
    const token = await verificationToken(account.user.email, [first]);
    for (let i = 0; i < 3; i++) {
      const res = await t.http().post('/v1/auth/email/resend').set(bearer(account.accessToken));
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('rate_limited');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    await settle();
    // The registration mail and the one resend: the refused resends sent nothing.
    expect(sink.mailsTo(account.user.email).filter(isVerification)).toHaveLength(2);

    // Anonymous routes keep their uniform answer: it must not tell whether a mail left.
    for (const email of [account.user.email, account.user.email, uniqueEmail('nobody')]) {
      const forgot = await t
        .http()
        .post('/v1/auth/password/forgot')
        .send({ tenant: tenant.slug, email });
      expect(forgot.status).toBe(202);
      expect(forgot.body).toEqual({ status: 'accepted' });
    }

    await t.http().post('/v1/auth/email/verify').send({ token }).expect(204);
    await backdateTokens(account.user.id);
    await t.http().post('/v1/auth/email/resend').set(bearer(account.accessToken)).expect(202);
    await settle();
    expect(sink.mailsTo(account.user.email).filter(isVerification)).toHaveLength(2);

    const anonymous = await t.http().post('/v1/auth/email/resend');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthorized');
  });

  it('mails new accounts whose address nobody has proved, and no one else', async () => {
    const accounts = t.app.get(UserAccountsService);
    const cases: {
      source: AccountSource;
      password: boolean;
      verified: boolean;
      mailed: boolean;
    }[] = [
      { source: 'admin', password: true, verified: false, mailed: true },
      { source: 'admin', password: false, verified: false, mailed: false },
      { source: 'invite', password: false, verified: false, mailed: false },
      { source: 'social', password: false, verified: false, mailed: true },
      { source: 'social', password: false, verified: true, mailed: false },
      { source: 'sso', password: false, verified: false, mailed: true },
      { source: 'sso', password: false, verified: true, mailed: false },
    ];
    const emails: string[] = [];
    for (const entry of cases) {
      const email = uniqueEmail(entry.source);
      emails.push(email);
      const hash = entry.password ? await accounts.hashPassword(STRONG_PASSWORD, email) : null;
      const user = await t.app
        .get(TenantScope)
        .run(tenant.id, () =>
          t.app
            .get(TransactionRunner)
            .run((manager) =>
              accounts.create(
                manager,
                { email, emailVerified: entry.verified, roleNames: ['member'] },
                hash,
              ),
            ),
        );
      await accounts.announceCreated(user, entry.source);
    }
    await settle();
    cases.forEach((entry, index) => {
      const mails = sink.mailsTo(emails[index] ?? '').filter(isVerification);
      expect(mails.length, JSON.stringify(entry)).toBe(entry.mailed ? 1 : 0);
    });
  });

  describe('when the tenant requires a verified address', () => {
    let strict: Tenant;

    beforeAll(async () => {
      strict = await createTenant(t, { settings: { requireEmailVerification: true } });
    });

    it('refuses the login with 403 email_not_verified and mails a new link, only after the password proved right', async () => {
      const account = await register(t, strict.slug);
      const first = await verificationToken(account.user.email);
      await backdateTokens(account.user.id);

      const wrong = await t.http().post('/v1/auth/login').send({
        tenant: strict.slug,
        email: account.user.email,
        password: 'not the password at all',
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('invalid_credentials');

      const refused = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: strict.slug, email: account.user.email, password: STRONG_PASSWORD });
      expect(refused.status).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.body.code).toBe('email_not_verified');
      expect(refused.body.accessToken).toBeUndefined();

      const second = await verificationToken(account.user.email, [first]);
      await t.http().post('/v1/auth/email/verify').send({ token: second }).expect(204);
      await login(t, strict.slug, account.user.email);

      const audit = await auditEvents(t, 'auth.login', account.user.id);
      expect(audit.map((event) => [event.outcome, event.metadata.reason ?? null])).toEqual([
        ['failure', 'bad_password'],
        ['failure', 'email_not_verified'],
        ['success', null],
      ]);
    });
  });

  it('validates the body', async () => {
    for (const body of [
      {},
      { token: 5 },
      { token: '' },
      { token: 'x'.repeat(200) },
      { token: 'abc', x: 1 },
    ]) {
      const res = await t.http().post('/v1/auth/email/verify').send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});
