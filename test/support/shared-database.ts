import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './database';

/**
 * A database several app instances (or a restarted one) can share: a fresh PostgreSQL database
 * when DATABASE_URL is set, otherwise a SQLite file (an in-memory SQLite lives and dies with one
 * connection).
 */
export async function createSharedDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  if (database.env.DATABASE_PATH !== ':memory:') return database;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-'));
  return { env: { DATABASE_PATH: join(dir, 'shared.sqlite') }, drop: () => Promise.resolve() };
}
