import { Column, type ColumnOptions, PrimaryColumn, VersionColumn } from 'typeorm';
import { databaseEngine } from '../config/database-engine';

/**
 * Column decorators whose types mean the same on PostgreSQL and SQLite, so one set of entities
 * and one set of migrations serve both engines (`portable-schema.ts` is the migration side).
 * UUIDs are `uuid` on PostgreSQL and `varchar` on SQLite (TypeORM maps one to the other);
 * instants are `timestamptz` on PostgreSQL and `datetime` (UTC text) on SQLite.
 */
const TIMESTAMP_TYPE = databaseEngine() === 'postgres' ? 'timestamptz' : 'datetime';

export function UuidPrimaryColumn(): PropertyDecorator {
  return PrimaryColumn({ type: 'uuid' });
}

export function UuidColumn(options: Omit<ColumnOptions, 'type'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'uuid' });
}

export function TimestampColumn(options: Omit<ColumnOptions, 'type'> = {}): PropertyDecorator {
  return Column({ ...options, type: TIMESTAMP_TYPE });
}

/** JSON kept as text: portable, and nothing queries inside it. */
export function JsonColumn(options: Omit<ColumnOptions, 'type'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'simple-json' });
}

/**
 * The object's version (its ETag). TypeORM adds `version = version + 1` to every UPDATE it builds
 * for the entity, and `plainUpdate` to the plain ones, so no write path can forget to move it;
 * writes conditioned on it are in `common/http/if-match.ts`.
 */
export function RowVersionColumn(): PropertyDecorator {
  return VersionColumn({ type: 'integer', default: 1 });
}
