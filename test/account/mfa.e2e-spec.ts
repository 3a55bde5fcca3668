import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantScope } from '../../src/common/database/tenant-scope';
import { PasswordHasher } from '../../src/auth/passwords/password-hasher.service';
import { randomSecret } from '../../src/common/crypto/tokens';
import { TransactionRunner } from '../../src/database/transaction-runner';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { UserAccountsService } from '../../src/users/user-accounts.service';
import {
  bearer,
  createTenant,
  login,
  register,
  STRONG_PASSWORD,
  uniqueEmail,
  type TokenPair,
} from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRow, selectRows } from '../support/sql';
import { auditEvents, expectNoSecretsInLogs, forgetTotpSteps, totp } from './support/helpers';
import { DataSource } from 'typeorm';

interface Account extends TokenPair {
  user: { id: string; email: string; tenantId: string };
}

interface Enrolled {
  secret: string;
  confirmCode: string;
  recoveryCodes: string[];
}

describe('TOTP multi-factor authentication', () => {
  let t: TestApp;
  let tenant: Tenant;
  /** Everything secret the tests handle; none may reach a log line. */
  const secrets: string[] = [STRONG_PASSWORD];
  const codes: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    expectNoSecretsInLogs(t, secrets);
    // Six-digit codes as whole words: digits inside ids and timestamps are not codes.
    const logs = t.logs.join('\n');
    for (const code of codes)
      expect(new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`).test(logs), code).toBe(false);
    await t?.close();
  });

  async function enroll(account: Account): Promise<Enrolled> {
    const started = await t
      .http()
      .post('/v1/auth/mfa/totp/enroll')
      .set(bearer(account.accessToken));
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const secret = started.body.secret as string;
    secrets.push(secret);
    const confirmCode = totp(secret);
    codes.push(confirmCode);
    const confirmed = await t
      .http()
      .post('/v1/auth/mfa/totp/confirm')
      .set(bearer(account.accessToken))
      .send({ code: confirmCode });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const recoveryCodes = confirmed.body.recoveryCodes as string[];
    secrets.push(...recoveryCodes);
    return { secret, confirmCode, recoveryCodes };
  }

  function passwordLogin(email: string, extra: Record<string, unknown> = {}) {
    return t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email, password: STRONG_PASSWORD, ...extra });
  }

  async function mfaToken(email: string): Promise<string> {
    const res = await passwordLogin(email);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('mfa_required');
    const token = res.body.mfaToken as string;
    secrets.push(token);
    return token;
  }

  function verify(token: string, code: string) {
    codes.push(code);
    return t.http().post('/v1/auth/mfa/verify').send({ mfaToken: token, code });
  }

  it('enrolls: a secret, its otpauth URI and QR code; nothing changes until confirmed', async () => {
    const account = await register(t, tenant.slug);
    const res = await t.http().post('/v1/auth/mfa/totp/enroll').set(bearer(account.accessToken));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { secret, otpauthUri, qrCodeDataUrl } = res.body as Record<string, string>;
    secrets.push(secret);
    expect(Object.keys(res.body).sort()).toEqual(['otpauthUri', 'qrCodeDataUrl', 'secret']);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/${tenant.name}:${account.user.email}`);
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe(tenant.name);
    expect(qrCodeDataUrl).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);

    // Sealed at rest (SecretBox, context totp-secret), and not active yet.
    const row = await selectRow(t, 'users', account.user.id);
    expect(String(row.mfa_secret)).toMatch(/^v2\./);
    expect(String(row.mfa_secret)).not.toContain(secret);
    await login(t, tenant.slug, account.user.email);
    const me = await t.http().get('/v1/auth/me').set(bearer(account.accessToken));
    expect(me.body.user.mfaEnabled).toBe(false);
  });

  it('confirms with a code: MFA on, ten single-use recovery codes shown once and stored hashed', async () => {
    const account = await register(t, tenant.slug);
    const started = await t
      .http()
      .post('/v1/auth/mfa/totp/enroll')
      .set(bearer(account.accessToken));
    const secret = started.body.secret as string;
    secrets.push(secret);

    const wrongCode = totp(secret, -3);
    codes.push(wrongCode);
    for (const code of [wrongCode, 'ABCD-EFGH-JKLM-NPQR']) {
      const wrong = await t
        .http()
        .post('/v1/auth/mfa/totp/confirm')
        .set(bearer(account.accessToken))
        .send({ code });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('invalid_credentials');
    }

    const code = totp(secret);
    codes.push(code);
    const res = await t
      .http()
      .post('/v1/auth/mfa/totp/confirm')
      .set(bearer(account.accessToken))
      .send({ code });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['recoveryCodes']);
    const recoveryCodes = res.body.recoveryCodes as string[];
    secrets.push(...recoveryCodes);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const recovery of recoveryCodes)
      expect(recovery).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);

    const stored = await selectRows(t, 'mfa_recovery_codes', 'user_id = :id', {
      id: account.user.id,
    });
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(stored);
    for (const recovery of recoveryCodes) {
      expect(dump).not.toContain(recovery);
      expect(dump).not.toContain(recovery.replace(/-/g, ''));
    }

    const me = await t.http().get('/v1/auth/me').set(bearer(account.accessToken));
    expect(me.body.user.mfaEnabled).toBe(true);
    for (const path of ['/v1/auth/mfa/totp/enroll', '/v1/auth/mfa/totp/confirm']) {
      const again = await t
        .http()
        .post(path)
        .set(bearer(account.accessToken))
        .send(path.endsWith('confirm') ? { code: totp(secret, 1) } : undefined);
      expect(again.status, path).toBe(409);
      expect(again.body.code).toBe('conflict');
    }
    const audit = await auditEvents(t, 'auth.mfa.enrolled', account.user.id);
    expect(audit).toEqual([
      expect.objectContaining({ outcome: 'success', actorId: account.user.id }),
    ]);
  });

  it('confirm without enroll is a 409', async () => {
    const account = await register(t, tenant.slug);
    const res = await t
      .http()
      .post('/v1/auth/mfa/totp/confirm')
      .set(bearer(account.accessToken))
      .send({ code: '123456' });
    expect(res.status).toBe(409);
  });

  describe('login of an MFA user', () => {
    it('answers 401 mfa_required with a single-use mfaToken that /mfa/verify trades for a session', async () => {
      const account = await register(t, tenant.slug);
      const { secret } = await enroll(account);

      const res = await passwordLogin(account.user.email);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        status: 401,
        code: 'mfa_required',
        mfaToken: expect.stringMatching(/^[\w-]{43}$/),
      });
      expect(res.body.accessToken).toBeUndefined();
      const token = res.body.mfaToken as string;
      secrets.push(token);

      const ok = await verify(token, totp(secret, 1));
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      const me = await t.http().get('/v1/auth/me').set(bearer(ok.body.accessToken));
      expect(me.status).toBe(200);
      const [session] = await selectRows(t, 'sessions', 'user_id = :id AND method = :method', {
        id: account.user.id,
        method: 'mfa',
      });
      expect(session).toBeDefined();

      const reused = await verify(token, totp(secret, 1));
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('invalid_token');

      const audit = await auditEvents(t, 'auth.login', account.user.id);
      expect(audit.map((e) => [e.outcome, e.metadata.reason ?? e.metadata.method])).toEqual([
        ['failure', 'mfa_required'],
        ['success', 'mfa'],
      ]);
    });

    it('accepts the code in the login body (mfaCode), once', async () => {
      const account = await register(t, tenant.slug);
      const { secret, confirmCode } = await enroll(account);
      // The code that confirmed enrollment is spent: it cannot also sign in.
      const spent = await passwordLogin(account.user.email, { mfaCode: confirmCode });
      expect(spent.status).toBe(401);
      expect(spent.body.code).toBe('invalid_credentials');

      const code = totp(secret, 1);
      codes.push(code);
      const ok = await passwordLogin(account.user.email, { mfaCode: code });
      expect(ok.status).toBe(200);
      const replayed = await passwordLogin(account.user.email, { mfaCode: code });
      expect(replayed.status).toBe(401);
      expect(replayed.body.code).toBe('invalid_credentials');
      expect(replayed.body.mfaToken).toBeUndefined();

      // A wrong password with a right code is still just invalid_credentials.
      await forgetTotpSteps(t, account.user.id);
      const wrongPassword = await t
        .http()
        .post('/v1/auth/login')
        .send({
          tenant: tenant.slug,
          email: account.user.email,
          password: 'not the password at all',
          mfaCode: totp(secret),
        });
      expect(wrongPassword.status).toBe(401);
      expect(wrongPassword.body.code).toBe('invalid_credentials');

      const audit = await auditEvents(t, 'auth.login', account.user.id);
      expect(audit.map((e) => [e.outcome, e.metadata.reason ?? e.metadata.method])).toEqual([
        ['failure', 'invalid_mfa_code'],
        ['success', 'mfa'],
        ['failure', 'invalid_mfa_code'],
        ['failure', 'bad_password'],
      ]);
    });

    it('lets exactly one of two concurrent logins use the same code', async () => {
      const account = await register(t, tenant.slug);
      const { secret } = await enroll(account);
      const code = totp(secret, 1);
      codes.push(code);
      const results = await Promise.all(
        [0, 1].map(() => passwordLogin(account.user.email, { mfaCode: code })),
      );
      expect(results.map((res) => res.status).sort()).toEqual([200, 401]);
    });

    it('accepts each recovery code once, in any case and with or without dashes', async () => {
      const account = await register(t, tenant.slug);
      const { recoveryCodes } = await enroll(account);
      const [first, second] = recoveryCodes;
      if (!first || !second) throw new Error('no recovery codes');

      const ok = await passwordLogin(account.user.email, { mfaCode: first });
      expect(ok.status).toBe(200);
      const reused = await passwordLogin(account.user.email, { mfaCode: first });
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('invalid_credentials');

      const token = await mfaToken(account.user.email);
      const viaVerify = await verify(token, second.replace(/-/g, '').toLowerCase());
      expect(viaVerify.status).toBe(200);
      const used = await selectRows(
        t,
        'mfa_recovery_codes',
        'user_id = :id AND used_at IS NOT NULL',
        { id: account.user.id },
      );
      expect(used).toHaveLength(2);
      const audit = await auditEvents(t, 'auth.login', account.user.id);
      expect(
        audit.filter((e) => e.outcome === 'success').map((e) => e.metadata.factor ?? null),
      ).toEqual([null, 'recovery_code']);
    });

    it('refuses forged and expired mfaTokens, and spends one after five wrong codes', async () => {
      const account = await register(t, tenant.slug);
      const { secret } = await enroll(account);

      const forged = await verify(randomSecret(), totp(secret, 1));
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('invalid_token');

      const expiring = await mfaToken(account.user.email);
      const [row] = await selectRows(t, 'action_tokens', 'user_id = :id AND purpose = :purpose', {
        id: account.user.id,
        purpose: 'mfa_challenge',
      });
      await t.app
        .get(DataSource)
        .createQueryBuilder()
        .update('action_tokens')
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where('id = :id', { id: row?.id })
        .execute();
      const expired = await verify(expiring, totp(secret, 1));
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('invalid_token');

      const token = await mfaToken(account.user.email);
      for (let i = 0; i < 5; i++) {
        const wrong = await verify(
          token,
          String((Number(totp(secret, 1)) + 1 + i) % 1_000_000).padStart(6, '0'),
        );
        expect(wrong.status).toBe(401);
        expect(wrong.body.code).toBe('invalid_credentials');
      }
      const spent = await verify(token, totp(secret, 1));
      expect(spent.status).toBe(401);
      expect(spent.body.code).toBe('invalid_token');
    });

    it('refuses every code for five minutes after five wrong ones in a row (429)', async () => {
      const account = await register(t, tenant.slug);
      const { secret, recoveryCodes } = await enroll(account);
      for (let i = 0; i < 5; i++) {
        const res = await passwordLogin(account.user.email, {
          mfaCode: 'ZZZZ-ZZZZ-ZZZZ-ZZZ' + String(i + 2),
        });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('invalid_credentials');
      }
      for (const code of [totp(secret, 1), recoveryCodes[0] ?? '']) {
        codes.push(code);
        const blocked = await passwordLogin(account.user.email, { mfaCode: code });
        expect(blocked.status).toBe(429);
        expect(blocked.body.code).toBe('rate_limited');
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(200);
      }
      const token = await mfaToken(account.user.email);
      expect((await verify(token, totp(secret, 1))).status).toBe(429);

      // Once the block has passed (played here by the database administrator), codes work.
      await t.app
        .get(DataSource)
        .createQueryBuilder()
        .update('user_mfa_states')
        .set({ blockedUntil: new Date(Date.now() - 1000) })
        .where('user_id = :id', { id: account.user.id })
        .execute();
      expect((await verify(token, totp(secret, 1))).status).toBe(200);
      const audit = await auditEvents(t, 'auth.login', account.user.id);
      expect(audit.filter((e) => e.metadata.reason === 'mfa_blocked')).toHaveLength(3);
    });

    it('ignores mfaCode for users without MFA', async () => {
      const account = await register(t, tenant.slug);
      const res = await passwordLogin(account.user.email, { mfaCode: '123456' });
      expect(res.status).toBe(200);
    });
  });

  describe('disable', () => {
    it('needs the password and a code; then the login is password-only again', async () => {
      const account = await register(t, tenant.slug);
      const { secret, recoveryCodes } = await enroll(account);

      const wrongPassword = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(account.accessToken))
        .send({ password: 'not the password at all', code: totp(secret, 1) });
      expect(wrongPassword.status).toBe(400);
      expect(wrongPassword.body.code).toBe('invalid_current_password');

      const wrongCode = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(account.accessToken))
        .send({ password: STRONG_PASSWORD, code: 'AAAA-BBBB-CCCC-DDDD' });
      expect(wrongCode.status).toBe(401);
      expect(wrongCode.body.code).toBe('invalid_credentials');

      const res = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(account.accessToken))
        .send({ password: STRONG_PASSWORD, code: recoveryCodes[0] });
      expect(res.status).toBe(204);
      const me = await t.http().get('/v1/auth/me').set(bearer(account.accessToken));
      expect(me.body.user.mfaEnabled).toBe(false);
      await login(t, tenant.slug, account.user.email);
      const row = await selectRow(t, 'users', account.user.id);
      expect(row.mfa_secret).toBeNull();
      expect(
        await selectRows(t, 'mfa_recovery_codes', 'user_id = :id', { id: account.user.id }),
      ).toEqual([]);

      const again = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(account.accessToken))
        .send({ password: STRONG_PASSWORD, code: totp(secret, 1) });
      expect(again.status).toBe(409);

      const audit = await auditEvents(t, 'auth.mfa.disabled', account.user.id);
      expect(audit.map((e) => [e.outcome, e.metadata.reason ?? null])).toEqual([
        ['failure', 'invalid_current_password'],
        ['failure', 'invalid_code'],
        ['success', null],
      ]);
    });
  });

  describe('requireMfaForAdmins', () => {
    async function admin(target: Tenant, role: string): Promise<Account> {
      const accounts = t.app.get(UserAccountsService);
      const email = uniqueEmail(role);
      const hash = await t.app.get(PasswordHasher).hash(STRONG_PASSWORD);
      const user = await t.app
        .get(TenantScope)
        .run(target.id, () =>
          t.app
            .get(TransactionRunner)
            .run((manager) =>
              accounts.create(manager, { email, roleNames: [role], emailVerified: true }, hash),
            ),
        );
      const pair = await login(t, target.slug, email);
      return { ...pair, user: { id: user.id, email, tenantId: target.id } };
    }

    it('lets an administrator without MFA sign in and enroll, and nothing else until then', async () => {
      const strict = await createTenant(t, { settings: { requireMfaForAdmins: true } });
      const owner = await admin(strict, 'owner');
      const member = await admin(strict, 'member');

      // Signed in, may look at itself and its sessions, may not act.
      await t.http().get('/v1/auth/me').set(bearer(owner.accessToken)).expect(200);
      await t.http().get('/v1/auth/sessions').set(bearer(owner.accessToken)).expect(200);
      const gated = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(owner.accessToken))
        .send({ password: STRONG_PASSWORD, code: '123456' });
      expect(gated.status).toBe(403);
      expect(gated.body.code).toBe('mfa_enrollment_required');
      // Members are not affected.
      const memberRes = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(member.accessToken))
        .send({ password: STRONG_PASSWORD, code: '123456' });
      expect(memberRes.status).toBe(409);

      const started = await t
        .http()
        .post('/v1/auth/mfa/totp/enroll')
        .set(bearer(owner.accessToken));
      expect(started.status).toBe(200);
      const secret = started.body.secret as string;
      secrets.push(secret);
      const code = totp(secret);
      codes.push(code);
      const confirmed = await t
        .http()
        .post('/v1/auth/mfa/totp/confirm')
        .set(bearer(owner.accessToken))
        .send({ code });
      expect(confirmed.status).toBe(200);
      secrets.push(...(confirmed.body.recoveryCodes as string[]));

      // Enrolled: the gate lifts at once, and the next login needs the second factor.
      const open = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(owner.accessToken))
        .send({ password: 'not the password at all', code: '123456' });
      expect(open.status).toBe(400);
      const next = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: strict.slug, email: owner.user.email, password: STRONG_PASSWORD });
      expect(next.status).toBe(401);
      expect(next.body.code).toBe('mfa_required');
      secrets.push(next.body.mfaToken as string);
    });

    it('leaves administrators of other tenants alone', async () => {
      const relaxed = await createTenant(t);
      const owner = await admin(relaxed, 'admin');
      const res = await t
        .http()
        .post('/v1/auth/mfa/totp/disable')
        .set(bearer(owner.accessToken))
        .send({ password: STRONG_PASSWORD, code: '123456' });
      expect(res.status).toBe(409);
    });
  });

  it('validates every body', async () => {
    const account = await register(t, tenant.slug);
    const cases: [string, unknown][] = [
      ['/v1/auth/mfa/totp/confirm', {}],
      ['/v1/auth/mfa/totp/confirm', { code: 123456 }],
      ['/v1/auth/mfa/totp/confirm', { code: '123456', extra: true }],
      ['/v1/auth/mfa/totp/confirm', { code: '1'.repeat(65) }],
      ['/v1/auth/mfa/totp/disable', { password: STRONG_PASSWORD }],
      [
        '/v1/auth/mfa/totp/disable',
        { password: STRONG_PASSWORD, code: '123456', userId: account.user.id },
      ],
      ['/v1/auth/mfa/verify', { code: '123456' }],
      ['/v1/auth/mfa/verify', { mfaToken: 'x'.repeat(129), code: '123456' }],
      ['/v1/auth/mfa/verify', { mfaToken: randomSecret(), code: '' }],
      [
        '/v1/auth/login',
        {
          tenant: tenant.slug,
          email: account.user.email,
          password: STRONG_PASSWORD,
          mfaCode: 'x'.repeat(65),
        },
      ],
    ];
    for (const [path, body] of cases) {
      const res = await t
        .http()
        .post(path)
        .set(bearer(account.accessToken))
        .send(body as object);
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    for (const path of [
      '/v1/auth/mfa/totp/enroll',
      '/v1/auth/mfa/totp/confirm',
      '/v1/auth/mfa/totp/disable',
    ]) {
      expect((await t.http().post(path).send({})).status, path).toBe(401);
    }
  });
});
