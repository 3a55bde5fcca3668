export type DatabaseEngine = 'sqlite' | 'postgres';

/**
 * The engine is a property of the process, not of one configuration object: entity column
 * types (timestamps differ between PostgreSQL and SQLite) are fixed when the entity modules
 * load, before any configuration exists. `loadConfig` applies the same rule, and the database
 * module refuses a configuration that disagrees with it.
 */
export function databaseEngine(env: NodeJS.ProcessEnv = process.env): DatabaseEngine {
  return env.DATABASE_URL?.trim() ? 'postgres' : 'sqlite';
}
