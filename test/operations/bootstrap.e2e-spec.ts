import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { TestDatabase } from '../support/database';
import { createSharedDatabase } from '../support/shared-database';
import { ADMIN_PASSWORD, createTestApp, ROOT_TENANT } from '../support/app';
import { selectRows } from '../support/sql';

/** Runs `body` as if stdout were (or were not) a terminal, capturing what it writes there. */
async function withStdout<T>(isTTY: boolean, body: () => Promise<T>): Promise<[T, string]> {
  const before = process.stdout.isTTY;
  process.stdout.isTTY = isTTY;
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const result = await body();
    return [result, write.mock.calls.map(([chunk]) => String(chunk)).join('')];
  } finally {
    write.mockRestore();
    process.stdout.isTTY = before;
  }
}

describe('first start', () => {
  let database: TestDatabase;
  afterAll(async () => database?.drop());

  it('creates the root tenant, its built-in roles and the platform admin once; a restart changes nothing', async () => {
    database = await createSharedDatabase();
    const env = { BOOTSTRAP_ADMIN_PASSWORD: '', BOOTSTRAP_ADMIN_EMAIL: 'owner@platform.test' };
    // On a terminal: printed once.
    const [first, printed] = await withStdout(true, () => createTestApp({ database, env }));
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

    const [second, printedAgain] = await withStdout(true, () => createTestApp({ database, env }));
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

describe('F20: first start when stdout is a log stream (a container, a service manager)', () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('writes the generated password to a file of mode 0600 and logs its path, never the password', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-bootstrap-'));
    const file = join(dir, 'data', 'bootstrap-admin-password');
    const env = {
      BOOTSTRAP_ADMIN_PASSWORD: '',
      BOOTSTRAP_ADMIN_EMAIL: 'owner@platform.test',
      BOOTSTRAP_ADMIN_PASSWORD_OUTPUT: file,
    };
    const [t, printed] = await withStdout(false, () => createTestApp({ env }));
    try {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const password = (await readFile(file, 'utf8')).trim();
      expect(password.length).toBeGreaterThanOrEqual(24);
      // Whoever reads the shipped stream (stdout or the log) learns where, not what.
      expect(printed).not.toContain(password);
      const logs = t.logs.join('\n');
      expect(logs).not.toContain(password);
      expect(logs).toContain(`written to ${file} (mode 0600)`);

      const login = await t
        .http()
        .post('/v1/auth/login')
        .send({ tenant: ROOT_TENANT, email: 'owner@platform.test', password });
      expect(login.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('refuses to start over a file planted where the password would go, and creates no admin', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-bootstrap-'));
    const file = join(dir, 'bootstrap-admin-password');
    // A file (or a link to one) an attacker prepared, to read the password or have it overwrite.
    await writeFile(file, 'planted\n', { mode: 0o644 });
    const env = { BOOTSTRAP_ADMIN_PASSWORD: '', BOOTSTRAP_ADMIN_PASSWORD_OUTPUT: file };
    const database = await createSharedDatabase();
    try {
      const [attempt] = await withStdout(false, async () =>
        createTestApp({ database, env }).then(
          () => 'started',
          (error: unknown) => String(error),
        ),
      );
      expect(attempt).toContain('already exists');
      expect(await readFile(file, 'utf8')).toBe('planted\n');
      // Nothing was created: the next start bootstraps, here with a password of its own.
      const next = await createTestApp({
        database,
        env: { BOOTSTRAP_ADMIN_EMAIL: 'next@platform.test' },
      });
      try {
        const login = await next
          .http()
          .post('/v1/auth/login')
          .send({ tenant: ROOT_TENANT, email: 'next@platform.test', password: ADMIN_PASSWORD });
        expect(login.status).toBe(200);
      } finally {
        await next.close();
      }
    } finally {
      await database.drop();
    }
  });
});
