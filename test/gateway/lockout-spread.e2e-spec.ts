import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../src/mail/mail.service';
import { createTenant, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { type ReceivedMail, SmtpSink, tokenOf } from '../account/support/smtp-sink';

const THRESHOLD = 4;
/** LOCKOUT_THRESHOLD × 5 failures from all addresses together lock the account for everyone. */
const ACCOUNT_THRESHOLD = THRESHOLD * 5;

const isLockNotice = (mail: ReceivedMail) => mail.subject.includes('is paused');

/**
 * Review F14: the lockout as a weapon. A stranger who fails a few logins with the owner's email
 * locks only the address they come from (the SPEC §13 contract, seen from that address); only a
 * campaign spread over many addresses, at five times the threshold, locks the account for
 * everyone, and then the holder is mailed once and can get back in with a password reset.
 */
describe('lockout an attacker cannot hold', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let tenant: string;
  let nextAddress = 1;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await createTestApp({
      env: { LOCKOUT_THRESHOLD: String(THRESHOLD), TRUST_PROXY: 'true', SMTP_URL: sink.url },
    });
    tenant = (await createTenant(t)).slug;
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  /** A client address not used before in this file (TEST-NET-3, RFC 5737). */
  const freshAddress = () => `203.0.113.${nextAddress++}`;

  const login = (email: string, password: string, from: string) =>
    t.http().post('/v1/auth/login').set('X-Forwarded-For', from).send({ tenant, email, password });

  /** `ACCOUNT_THRESHOLD` failures, never more than threshold − 1 from one address. */
  async function spreadFailures(email: string): Promise<number[]> {
    const statuses: number[] = [];
    for (let sent = 0; sent < ACCOUNT_THRESHOLD;) {
      const from = freshAddress();
      for (let i = 0; i < THRESHOLD - 1 && sent < ACCOUNT_THRESHOLD; i++, sent++) {
        statuses.push((await login(email, `wrong password ${sent}`, from)).status);
      }
    }
    return statuses;
  }

  it('locks the address that failed LOCKOUT_THRESHOLD times, not the owner signing in from elsewhere', async () => {
    const { user } = await register(t, tenant);
    const attacker = freshAddress();
    for (let i = 0; i < THRESHOLD; i++) {
      expect((await login(user.email, `wrong password ${i}`, attacker)).status).toBe(401);
    }
    const refused = await login(user.email, STRONG_PASSWORD, attacker);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);

    expect((await login(user.email, STRONG_PASSWORD, freshAddress())).status).toBe(200);
    // The owner's success elsewhere does not free the attacker's address.
    expect((await login(user.email, STRONG_PASSWORD, attacker)).status).toBe(429);
  });

  it('locks the account for everyone at five times the threshold from many addresses, and mails the holder once', async () => {
    const { user } = await register(t, tenant);
    expect(await spreadFailures(user.email)).toEqual(Array(ACCOUNT_THRESHOLD).fill(401));

    const owner = await login(user.email, STRONG_PASSWORD, freshAddress());
    expect(owner.status).toBe(429);
    expect(owner.body.code).toBe('rate_limited');
    expect(Number(owner.headers['retry-after'])).toBeGreaterThan(0);
    // More attempts while it is locked are refused without counting or mailing again.
    for (let i = 0; i < 3; i++) {
      expect((await login(user.email, 'still guessing', freshAddress())).status).toBe(429);
    }

    const notice = await sink.waitFor(user.email, isLockNotice);
    expect(notice.text).toContain('paused for 1 minute');
    expect(notice.text).not.toContain('http');
    await t.app.get(MailService).idle();
    expect(sink.mailsTo(user.email).filter(isLockNotice)).toHaveLength(1);
  });

  it('answers a spread campaign against an unknown email alike, and mails nobody', async () => {
    const { user } = await register(t, tenant);
    const stranger = uniqueEmail('stranger');
    const known = [...(await spreadFailures(user.email))];
    const unknown = [...(await spreadFailures(stranger))];
    expect(unknown).toEqual(known);
    const answers = [
      await login(user.email, STRONG_PASSWORD, freshAddress()),
      await login(stranger, STRONG_PASSWORD, freshAddress()),
    ];
    expect(answers.map((res) => [res.status, res.body.code])).toEqual([
      [429, 'rate_limited'],
      [429, 'rate_limited'],
    ]);
    await sink.waitFor(user.email, isLockNotice);
    await t.app.get(MailService).idle();
    expect(sink.mailsTo(stranger)).toEqual([]);
  });

  it('lets the holder back in with a password reset', async () => {
    const { user } = await register(t, tenant);
    await spreadFailures(user.email);
    expect((await login(user.email, STRONG_PASSWORD, freshAddress())).status).toBe(429);

    const forgot = await t
      .http()
      .post('/v1/auth/password/forgot')
      .send({ tenant, email: user.email });
    expect(forgot.status).toBe(202);
    const token = tokenOf(
      await sink.waitFor(user.email, (mail) => mail.text.includes('/reset-password?')),
    );
    const newPassword = 'another long and unusual passphrase';
    const reset = await t.http().post('/v1/auth/password/reset').send({ token, newPassword });
    expect(reset.status, JSON.stringify(reset.body)).toBe(204);
    expect((await login(user.email, newPassword, freshAddress())).status).toBe(200);
  });
});
