import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/load-config';
import { dataSourceOptions } from '../../src/database/data-source-options';

export interface TestDatabase {
  /** Environment entries that point an app at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file. On PostgreSQL (DATABASE_URL set) a fresh database
 * with a unique name is created next to the given one and dropped afterwards, so parallel
 * files and concurrent CI runs cannot see each other. On SQLite a file in memory does the same.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const baseUrl = process.env.DATABASE_URL?.trim();
  if (!baseUrl) {
    return { env: { DATABASE_PATH: ':memory:' }, drop: () => Promise.resolve() };
  }
  const name = `gatehouse_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      const client = new Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A TypeORM data source on a database of its own, configured as the app configures it, for
 * tests of the database layer without an app. `close()` destroys it and drops the database.
 */
export async function openTestDataSource(): Promise<{
  dataSource: DataSource;
  close(): Promise<void>;
}> {
  const database = await createTestDatabase();
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', ...database.env });
  const dataSource = await new DataSource(dataSourceOptions(config.database)).initialize();
  return {
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}

/**
 * Reverts the applied migrations from the newest down to `name` included, so a test can put
 * rows in the schema as it stood before that migration and then run it.
 */
export async function undoMigrationsThrough(dataSource: DataSource, name: string): Promise<void> {
  const names = dataSource.migrations.map((migration) => migration.name);
  const index = names.indexOf(name);
  if (index === -1) throw new Error(`No migration named ${name}`);
  for (let i = names.length - 1; i >= index; i--) await dataSource.undoLastMigration();
}
