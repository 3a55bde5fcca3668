import type { DatabaseConfig } from '../config.types';
import { EnvBool, EnvString, EnvUrl } from '../env-decorators';

/** Where the rows live: PostgreSQL when DATABASE_URL is set, else SQLite (`databaseEngine`). */
export class DatabaseVariables {
  @EnvUrl(['postgres:', 'postgresql:'])
  DATABASE_URL?: string;

  /** A file, or `:memory:` in tests. */
  @EnvString()
  DATABASE_PATH = './data/gatehouse.sqlite';

  /** Production refuses SQLite unless this says so (production-rules.ts). */
  @EnvBool()
  ALLOW_SQLITE_IN_PRODUCTION = false;
}

export function toDatabaseConfig(vars: DatabaseVariables): DatabaseConfig {
  return vars.DATABASE_URL !== undefined
    ? { kind: 'postgres', url: vars.DATABASE_URL, path: null }
    : { kind: 'sqlite', url: null, path: vars.DATABASE_PATH };
}
