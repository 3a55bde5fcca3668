import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { placeholder } from './raw-rows';

/**
 * Inserts rows in one parameterised statement, without TypeORM's insert query builder.
 *
 * The builder names, registers and escapes a parameter per column per row on every call; for
 * the audit log's batches (up to 500 rows of 17 columns, written for every audited request)
 * that bookkeeping costs more CPU than the database's own work. Here the statement is plain SQL
 * over the entity's metadata: table and column names escaped by the driver, values converted by
 * the driver exactly as the builder converts them (dates, JSON), placeholders in the driver's
 * style. For entities without generated columns, relations or listeners, which is what this is
 * for: anything else goes through the repository.
 */
export async function bulkInsert<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: readonly T[],
): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  const columns = metadata.columns.filter((column) => !column.isVirtual);
  const parameters: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = columns.map((column) => {
      parameters.push(driver.preparePersistentValue(column.getEntityValue(row), column));
      return placeholder(manager, parameters.length);
    });
    return `(${placeholders.join(', ')})`;
  });
  const names = columns.map((column) => driver.escape(column.databaseName)).join(', ');
  await manager.query(
    `INSERT INTO ${driver.escape(metadata.tableName)} (${names}) VALUES ${tuples.join(', ')}`,
    parameters,
  );
}
