import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantScope } from '../../src/common/database/tenant-scope';
import { PasswordHasher } from '../../src/auth/passwords/password-hasher.service';
import { newId } from '../../src/common/crypto/ids';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { Role } from '../../src/roles/entities/role.entity';
import type { PermissionRule } from '../../src/roles/permission-rule';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { UserAccountsService } from '../../src/users/user-accounts.service';
import { bearer, createTenant, login, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { expectNoSecretsInLogs, totp } from './support/helpers';

/**
 * `requireMfaForAdmins` follows administrative power, not role names (F15): a custom role that
 * manages users is an administrator's, and an API key carries its creator's obligation.
 */
describe('requireMfaForAdmins by power', () => {
  let t: TestApp;
  const secrets: string[] = [STRONG_PASSWORD];

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    expectNoSecretsInLogs(t, secrets);
    await t?.close();
  });

  /** A role written as the tenant's owner would have made it, under a name of no built-in. */
  async function customRole(tenant: Tenant, name: string, permissions: PermissionRule[]) {
    const now = new Date();
    await t.app.get(TransactionRunner).run((manager) =>
      manager.insert(Role, {
        id: newId(),
        tenantId: tenant.id,
        name,
        description: name,
        builtIn: false,
        permissions,
        createdAt: now,
        updatedAt: now,
      }),
    );
  }

  async function signedIn(tenant: Tenant, roleNames: string[]) {
    const email = uniqueEmail(roleNames.join('-'));
    const hash = await t.app.get(PasswordHasher).hash(STRONG_PASSWORD);
    await t.app
      .get(TenantScope)
      .run(tenant.id, () =>
        t.app
          .get(TransactionRunner)
          .run((manager) =>
            t.app
              .get(UserAccountsService)
              .create(manager, { email, roleNames, emailVerified: true }, hash),
          ),
      );
    const pair = await login(t, tenant.slug, email);
    return { email, headers: bearer(pair.accessToken) };
  }

  async function enrolMfa(headers: Record<string, string>): Promise<void> {
    const started = await t.http().post('/v1/auth/mfa/totp/enroll').set(headers);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const secret = started.body.secret as string;
    secrets.push(secret);
    const confirmed = await t
      .http()
      .post('/v1/auth/mfa/totp/confirm')
      .set(headers)
      .send({ code: totp(secret) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    secrets.push(...(confirmed.body.recoveryCodes as string[]));
  }

  function expectGated(res: { status: number; body: { code?: string } }): void {
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('mfa_enrollment_required');
  }

  it('a custom role that manages users is gated until its holder enrols', async () => {
    const strict = await createTenant(t, { settings: { requireMfaForAdmins: true } });
    await customRole(strict, 'people-ops', [{ action: 'manage', subject: 'User' }]);
    await customRole(strict, 'readers', [
      { action: 'read', subject: 'User' },
      { action: 'manage', subject: 'Project' },
    ]);
    const holder = await signedIn(strict, ['people-ops']);
    const reader = await signedIn(strict, ['readers']);

    expectGated(await t.http().get('/v1/users').set(holder.headers));
    expectGated(
      await t
        .http()
        .post('/v1/users')
        .set(holder.headers)
        .send({ email: uniqueEmail('invited') }),
    );
    await t.http().get('/v1/auth/me').set(holder.headers).expect(200);
    // Reading users and managing projects is not administration.
    expect((await t.http().get('/v1/users').set(reader.headers)).status).toBe(200);

    await enrolMfa(holder.headers);
    expect((await t.http().get('/v1/users').set(holder.headers)).status).toBe(200);
  });

  it('manage all in a custom role counts too', async () => {
    const strict = await createTenant(t, { settings: { requireMfaForAdmins: true } });
    await customRole(strict, 'deputies', [{ action: 'manage', subject: 'all' }]);
    const deputy = await signedIn(strict, ['deputies']);
    expectGated(await t.http().get('/v1/roles').set(deputy.headers));
  });

  it('an API key of an administrator without MFA is refused on every route, until they enrol', async () => {
    const tenant = await createTenant(t);
    const admin = await signedIn(tenant, ['admin']);
    const created = await t.http().post('/v1/api-keys').set(admin.headers).send({ name: 'ci' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    secrets.push(created.body.key as string);
    const key = { 'X-API-Key': created.body.key as string };
    expect((await t.http().get('/v1/users').set(key)).status).toBe(200);

    const strict = await t
      .http()
      .patch('/v1/tenants/current')
      .set(admin.headers)
      .send({ settings: { requireMfaForAdmins: true } });
    expect(strict.status, JSON.stringify(strict.body)).toBe(200);

    expectGated(await t.http().get('/v1/users').set(key));
    expectGated(await t.http().get('/v1/auth/me').set(key));
    expectGated(
      await t
        .http()
        .post('/v1/roles')
        .set(key)
        .send({ name: 'from-a-key', permissions: [{ action: 'read', subject: 'User' }] }),
    );

    await enrolMfa(admin.headers);
    expect((await t.http().get('/v1/users').set(key)).status).toBe(200);
  });
});
