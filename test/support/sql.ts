import { DataSource } from 'typeorm';
import type { TestApp } from './app';

/**
 * Direct row access for tests that play the database administrator (tampering, clock
 * simulation). Portable across engines through the query builder's named parameters. Values
 * use entity property names (camelCase); rows come back raw (snake_case).
 */
export async function updateRow(
  t: TestApp,
  table: string,
  id: string,
  values: Record<string, unknown>,
): Promise<void> {
  await t.app
    .get(DataSource)
    .createQueryBuilder()
    .update(table)
    .set(values)
    .where('id = :id', { id })
    .execute();
}

export async function selectRow(
  t: TestApp,
  table: string,
  id: string,
): Promise<Record<string, unknown>> {
  const row = await t.app
    .get(DataSource)
    .createQueryBuilder()
    .select('*')
    .from(table, table)
    .where('id = :id', { id })
    .getRawOne<Record<string, unknown>>();
  if (!row) throw new Error(`No ${table} row ${id}`);
  return row;
}

export async function selectRows(
  t: TestApp,
  table: string,
  where: string,
  parameters: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  return t.app
    .get(DataSource)
    .createQueryBuilder()
    .select('*')
    .from(table, table)
    .where(where, parameters)
    .getRawMany<Record<string, unknown>>();
}

/** A timestamp from a raw row: a Date on PostgreSQL, UTC text on SQLite. */
export function rawDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/Z|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}
