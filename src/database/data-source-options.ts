import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/config.types';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/** The options of the one data source, shared by the app and the TypeORM CLI. */
export function dataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: [...ENTITIES],
    migrations: [...MIGRATIONS],
    namingStrategy: new SnakeNamingStrategy(),
    // The schema only ever changes through reviewed migrations.
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'schema_migrations',
  };

  if (database.kind === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: database.url ?? undefined,
      applicationName: 'gatehouse',
      extra: {
        max: 20,
        connectionTimeoutMillis: 3000,
        idleTimeoutMillis: 30_000,
        // A query must not hang a request forever when the database stalls.
        statement_timeout: 10_000,
      },
    };
  }

  const path = database.path ?? ':memory:';
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: path,
    enableWAL: path !== ':memory:',
    prepareDatabase: (db: { pragma: (source: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      // SQLite's own default page cache (2 MiB), not better-sqlite3's 16 MiB, which the audit
      // log's inserts fill with copies of pages the OS caches anyway (docs/performance.md).
      db.pragma('cache_size = -2000');
    },
  };
}
