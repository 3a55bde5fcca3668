import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRewrap } from '../../src/auth/keys/rewrap/main';
import { SecretBox } from '../../src/common/crypto/secret-box';
import { clientSecretContext } from '../../src/sso/sso-connections.service';
import { bearer, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTenantWithOwner, platformAdmin, type TenantFixture } from '../factories/tenancy';
import { forgetTotpSteps, totp, enrolTotp } from '../account/support/helpers';
import { createTestApp, type TestApp } from '../support/app';
import type { TestDatabase } from '../support/database';
import { createSharedDatabase } from '../support/shared-database';
import { selectRow, selectRows } from '../support/sql';

const OLD = 'the-old-key-encryption-key-0123456789abcdef';
const NEW = 'the-new-key-encryption-key-0123456789abcdef';
const WRONG = 'a-key-encryption-key-nobody-used-0123456789';
const CLIENT_SECRET = 'upstream-client-secret-value-7f3a';

/** The sealed columns of the rows this test made, to compare across runs. */
async function sealedValues(t: TestApp, userId: string, connectionId: string): Promise<string[]> {
  const keys = await selectRows(t, 'signing_keys', '1 = 1', {});
  const user = await selectRow(t, 'users', userId);
  const connection = await selectRow(t, 'sso_connections', connectionId);
  const oidc = (
    typeof connection.oidc === 'string' ? JSON.parse(connection.oidc) : connection.oidc
  ) as { clientSecretSealed: string };
  return [
    ...keys.map((row) => String(row.private_jwk_encrypted)),
    String(user.mfa_secret),
    oidc.clientSecretSealed,
  ];
}

/**
 * The operator rotates the key-encryption key: adds a new one in front (`KEY_ENCRYPTION_KEYS=
 * new,old`), rewraps, then drops the old one. Nothing sealed under the old key may be lost on
 * the way, and a wrong key must stop the process loudly rather than lose or replace secrets.
 */
describe('key-encryption-key rotation', () => {
  let database: TestDatabase;
  let tenant: TenantFixture;
  let email: string;
  let userId: string;
  let totpSecret: string;
  let connectionId: string;
  let oldToken: string;

  const boot = (env: Record<string, string>) =>
    createTestApp({ database, env: { KEY_ENCRYPTION_KEY: '', ...env } });
  const rewrap = (keys: string) => {
    const lines: string[] = [];
    const run = runRewrap(
      { NODE_ENV: 'test', ...database.env, KEY_ENCRYPTION_KEYS: keys },
      (line) => lines.push(line),
    );
    return { run, lines };
  };

  async function loginWithTotp(t: TestApp): Promise<number> {
    await forgetTotpSteps(t, userId);
    const first = await t
      .http()
      .post('/v1/auth/login')
      .send({ tenant: tenant.slug, email, password: STRONG_PASSWORD });
    expect(first.body.code).toBe('mfa_required');
    const res = await t
      .http()
      .post('/v1/auth/mfa/verify')
      .send({ mfaToken: first.body.mfaToken, code: totp(totpSecret) });
    return res.status;
  }

  beforeAll(async () => {
    database = await createSharedDatabase();
    const t = await boot({ KEY_ENCRYPTION_KEY: OLD });
    try {
      tenant = await createTenantWithOwner(t, await platformAdmin(t));
      email = uniqueEmail('mfa');
      const account = await register(t, tenant.slug, email);
      userId = account.user.id;
      oldToken = account.accessToken;
      ({ secret: totpSecret } = await enrolTotp(t, account.accessToken));
      const connection = await t
        .http()
        .post('/v1/sso/connections')
        .set(tenant.owner.headers)
        .send({
          type: 'oidc',
          name: 'Corp OIDC',
          domains: [`kek-${Date.now()}.example`],
          oidc: {
            issuer: 'https://login.corp.example',
            clientId: 'gatehouse',
            clientSecret: CLIENT_SECRET,
          },
        });
      expect(connection.status, JSON.stringify(connection.body)).toBe(201);
      connectionId = connection.body.id as string;
    } finally {
      await t.close();
    }
  });
  afterAll(() => database?.drop());

  it('a wrong key-encryption key stops the boot and the rewrap, and changes nothing', async () => {
    const probe = await boot({ KEY_ENCRYPTION_KEY: OLD });
    const before = await sealedValues(probe, userId, connectionId);
    await probe.close();

    await expect(boot({ KEY_ENCRYPTION_KEY: WRONG })).rejects.toThrow(
      /opens with none of the configured key-encryption keys|not among the configured/,
    );
    const { run, lines } = rewrap(WRONG);
    await expect(run).rejects.toThrow(/signing_keys\.private_jwk_encrypted of /);
    expect(lines.join('\n')).not.toContain(WRONG);

    const after = await boot({ KEY_ENCRYPTION_KEY: OLD });
    try {
      expect(await sealedValues(after, userId, connectionId)).toEqual(before);
    } finally {
      await after.close();
    }
  });

  it('new,old opens what the old key sealed; rewrap reseals everything; then new alone suffices', async () => {
    const both = await boot({ KEY_ENCRYPTION_KEYS: `${NEW},${OLD}` });
    try {
      // The TOTP secret (sealed under OLD) opens, and the old access token still verifies.
      expect(await loginWithTotp(both)).toBe(200);
      expect((await both.http().get('/v1/auth/me').set(bearer(oldToken))).status).toBe(200);
      // Signing keys were resealed with NEW as they were read.
      const newId = both.app.get(SecretBox).keyIds[0];
      for (const row of await selectRows(both, 'signing_keys', '1 = 1', {})) {
        expect(String(row.private_jwk_encrypted)).toMatch(new RegExp(`^v2\\.${newId}\\.`));
      }

      const first = rewrap(`${NEW},${OLD}`);
      const counts = await first.run;
      expect(counts['users.mfa_secret']?.rewrapped).toBeGreaterThanOrEqual(1);
      expect(counts['sso_connections.oidc.client_secret']?.rewrapped).toBeGreaterThanOrEqual(1);
      expect(counts['signing_keys.private_jwk_encrypted']?.rewrapped).toBe(0);
      const printed = first.lines.join('\n');
      for (const secret of [NEW, OLD, totpSecret, CLIENT_SECRET]) {
        expect(printed).not.toContain(secret);
      }
      expect(printed).toMatch(/users\.mfa_secret: \d+ rewrapped, \d+ already current/);

      // Idempotent: a second run finds nothing to do.
      const second = await rewrap(`${NEW},${OLD}`).run;
      for (const { rewrapped } of Object.values(second)) expect(rewrapped).toBe(0);
    } finally {
      await both.close();
    }

    const onlyNew = await boot({ KEY_ENCRYPTION_KEYS: NEW });
    try {
      expect(await loginWithTotp(onlyNew)).toBe(200);
      const connection = await selectRow(onlyNew, 'sso_connections', connectionId);
      const oidc = (
        typeof connection.oidc === 'string' ? JSON.parse(connection.oidc) : connection.oidc
      ) as { clientSecretSealed: string };
      expect(
        onlyNew.app.get(SecretBox).open(oidc.clientSecretSealed, clientSecretContext(connectionId)),
      ).toBe(CLIENT_SECRET);
      expect((await onlyNew.http().get('/v1/auth/me').set(bearer(oldToken))).status).toBe(200);
    } finally {
      await onlyNew.close();
    }
  });
});
