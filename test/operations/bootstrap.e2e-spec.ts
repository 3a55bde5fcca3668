import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TestDatabase } from '../support/database';
import { createSharedDatabase } from '../support/shared-database';
import { createTestApp, ROOT_TENANT } from '../support/app';
import { selectRows } from '../support/sql';

describe('first start', () => {
  let database: TestDatabase;
  afterAll(async () => database?.drop());

  it('creates the root tenant, its built-in roles and the platform admin once; a restart changes nothing', async () => {
    database = await createSharedDatabase();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const env = { BOOTSTRAP_ADMIN_PASSWORD: '', BOOTSTRAP_ADMIN_EMAIL: 'owner@platform.test' };
    const first = await createTestApp({ database, env });
    const printed = write.mock.calls.map(([chunk]) => String(chunk)).join('');
    write.mockRestore();
    const password = /password: (\S+)/.exec(printed)?.[1];
    expect(password, 'the generated password is printed').toBeTypeOf('string');
    expect(first.logs.join('\n')).not.toContain(password!);

    const login = await first
      .http()
      .post('/v1/auth/login')
      .send({ tenant: ROOT_TENANT, email: 'owner@platform.test', password });
    expect(login.status).toBe(200);

    const snapshot = async (t: typeof first) => ({
      tenants: (await selectRows(t, 'tenants', '1 = 1', {})).map((row) => [
        row.id,
        row.slug,
        row.is_root,
      ]),
      roles: (await selectRows(t, 'roles', '1 = 1', {})).map((row) => row.name).sort(),
      users: (await selectRows(t, 'users', '1 = 1', {})).map((row) => [
        row.id,
        row.email,
        row.password_hash,
      ]),
      keys: (await selectRows(t, 'signing_keys', '1 = 1', {})).map((row) => row.id),
    });
    const before = await snapshot(first);
    expect(before.tenants).toHaveLength(1);
    expect(before.roles).toEqual(['admin', 'member', 'owner', 'platform-admin']);
    expect(before.users).toHaveLength(1);
    expect(before.keys).toHaveLength(1);
    await first.close();

    const write2 = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const second = await createTestApp({ database, env });
    const printedAgain = write2.mock.calls.map(([chunk]) => String(chunk)).join('');
    write2.mockRestore();
    expect(printedAgain).not.toContain('password:');
    expect(await snapshot(second)).toEqual(before);
    expect(
      (
        await second
          .http()
          .post('/v1/auth/login')
          .send({ tenant: ROOT_TENANT, email: 'owner@platform.test', password })
      ).status,
    ).toBe(200);
    await second.close();
  });
});
