import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { createTenant, register, STRONG_PASSWORD, type TokenPair } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import { auditEvents, enrolTotp, totp } from './support/helpers';

type Res = { status: number; body: Record<string, unknown> };

/**
 * Review F14: an attacker who knows the password guesses six-digit codes in parallel bursts.
 * Each attempt is reserved before its code is checked, so a burst of 20 is checked no more
 * than the five times a row of wrong codes allows.
 */
describe('parallel MFA code guessing', () => {
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  async function enrolledUser(): Promise<{
    account: TokenPair & { user: { id: string; email: string } };
    secret: string;
  }> {
    const account = await register(t, tenant.slug);
    const { secret } = await enrolTotp(t, account.accessToken);
    return { account, secret };
  }

  /** `n` six-digit codes, none valid in the window around now. */
  function wrongCodes(secret: string, n: number): string[] {
    const valid = new Set([-2, -1, 0, 1, 2].map((offset) => totp(secret, offset)));
    const codes: string[] = [];
    for (let i = 0; codes.length < n; i++) {
      const code = String(100_000 + i * 37_011).padStart(6, '0');
      if (!valid.has(code)) codes.push(code);
    }
    return codes;
  }

  const guessedIn = (answers: Res[], status: number, code: string) =>
    answers.filter((res) => res.status === status && res.body.code === code).length;

  async function challenge(email: string): Promise<string> {
    const res = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email, password: STRONG_PASSWORD });
    expect(res.body.code).toBe('mfa_required');
    return res.body.mfaToken as string;
  }

  it('checks five of 20 parallel wrong codes sent with the password; the rest meet the block', async () => {
    // Four victims at once: the more requests interleave, the surer a racy count shows.
    const victims = await Promise.all([1, 2, 3, 4].map(() => enrolledUser()));
    const bursts: Res[][] = await Promise.all(
      victims.map(({ account, secret }) =>
        Promise.all(
          wrongCodes(secret, 20).map((mfaCode) =>
            t.http().post('/v1/auth/login').send({
              tenant: tenant.slug,
              email: account.user.email,
              password: STRONG_PASSWORD,
              mfaCode,
            }),
          ),
        ),
      ),
    );
    for (const [i, { account, secret }] of victims.entries()) {
      const answers = bursts[i] ?? [];
      expect(guessedIn(answers, 401, 'invalid_credentials')).toBe(5);
      expect(guessedIn(answers, 429, 'rate_limited')).toBe(15);
      const audit = await auditEvents(t, 'auth.login', account.user.id);
      expect(audit.filter((e) => e.metadata.reason === 'invalid_mfa_code')).toHaveLength(5);
      const [state] = await selectRows(t, 'user_mfa_states', 'user_id = :id', {
        id: account.user.id,
      });
      expect(state?.blocked_until).not.toBeNull();
      // The right code is refused too while the block lasts.
      const blocked = await t
        .http()
        .post('/v1/auth/login')
        .send({
          tenant: tenant.slug,
          email: account.user.email,
          password: STRONG_PASSWORD,
          mfaCode: totp(secret, 1),
        });
      expect(blocked.status).toBe(429);
    }
  });

  it('checks at most five of 20 parallel wrong codes sent with one mfaToken; then the token is spent', async () => {
    const { account, secret } = await enrolledUser();
    const mfaToken = await challenge(account.user.email);
    const answers: Res[] = await Promise.all(
      wrongCodes(secret, 20).map((code) =>
        t.http().post('/v1/auth/mfa/verify').send({ mfaToken, code }),
      ),
    );
    expect(guessedIn(answers, 401, 'invalid_credentials')).toBe(5);
    expect(guessedIn(answers, 401, 'invalid_token')).toBe(15);
    const [row] = await selectRows(t, 'action_tokens', 'user_id = :id AND purpose = :purpose', {
      id: account.user.id,
      purpose: 'mfa_challenge',
    });
    expect(Number(row?.attempts)).toBe(5);
    expect(row?.used_at).not.toBeNull();
  });
});
