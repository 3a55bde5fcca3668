import type { DataSource } from 'typeorm';

/**
 * Runs `fn` while holding a cluster-wide lock, so that instances starting together do not run
 * migrations or the first-run bootstrap twice. PostgreSQL: a session advisory lock on a
 * dedicated connection. SQLite: the file is local to one host and writes are serialised by
 * SQLite itself; a single process is the supported deployment, so no lock is taken.
 */
export async function withDatabaseLock<T>(
  dataSource: DataSource,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (dataSource.options.type !== 'postgres') return fn();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`gatehouse:${name}`]);
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`gatehouse:${name}`]);
    }
  } finally {
    await runner.release();
  }
}
