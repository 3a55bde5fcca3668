import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Plain SQL for the few hot lookups whose query builder cost more than the query: the select
 * list and the hydration come from the entity's metadata, so names and value conversions (dates,
 * JSON) are exactly TypeORM's, and the statement text is built once by the caller.
 */

/** `alias."column" AS "alias_property", …` for every stored column of the entity. */
export function selectList<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  alias: string,
): string {
  const driver = manager.connection.driver;
  return manager.connection
    .getMetadata(target)
    .columns.filter((column) => !column.isVirtual)
    .map(
      (column) =>
        `${driver.escape(alias)}.${driver.escape(column.databaseName)} AS ${driver.escape(`${alias}_${column.propertyName}`)}`,
    )
    .join(', ');
}

/** The entity from the columns `selectList` named with this alias. */
export function hydrate<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  raw: Record<string, unknown>,
  alias: string,
): T {
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    if (column.isVirtual) continue;
    column.setEntityValue(
      entity,
      driver.prepareHydratedValue(raw[`${alias}_${column.propertyName}`], column),
    );
  }
  return entity;
}

/** A property's column name, escaped for the driver. */
export function columnOf<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  property: keyof T & string,
): string {
  const column = manager.connection.getMetadata(target).findColumnWithPropertyName(property);
  if (!column) throw new Error(`No column for ${property}`);
  return manager.connection.driver.escape(column.databaseName);
}

/** The entity's table name, escaped for the driver. */
export function tableOf(manager: EntityManager, target: EntityTarget<ObjectLiteral>): string {
  return manager.connection.driver.escape(manager.connection.getMetadata(target).tableName);
}

/** The n-th (1-based) bound parameter in the driver's style. */
export function placeholder(manager: EntityManager, index: number): string {
  return manager.connection.options.type === 'postgres' ? `$${index}` : '?';
}

/** A value as the driver stores it in a property's column (dates, booleans, JSON). */
export function storedValue<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  property: keyof T & string,
  value: unknown,
): unknown {
  const column = manager.connection.getMetadata(target).findColumnWithPropertyName(property);
  if (!column) throw new Error(`No column for ${property}`);
  return manager.connection.driver.preparePersistentValue(value, column);
}

/** Runs a write in the manager's transaction and answers how many rows it changed. */
export async function affectedRows(
  manager: EntityManager,
  sql: string,
  parameters: readonly unknown[],
): Promise<number> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('affectedRows needs a transaction manager');
  const result = await runner.query(sql, [...parameters], true);
  return result.affected ?? 0;
}
