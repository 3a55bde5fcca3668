import type { EntityManager, EntityTarget, ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

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

function columnFor(manager: EntityManager, target: EntityTarget<ObjectLiteral>, property: string) {
  const column = manager.connection.getMetadata(target).findColumnWithPropertyName(property);
  if (!column) throw new Error(`No column for ${property}`);
  return column;
}

/** A property's column name, escaped for the driver. */
export function columnOf<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  property: keyof T & string,
): string {
  return manager.connection.driver.escape(columnFor(manager, target, property).databaseName);
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
  return manager.connection.driver.preparePersistentValue(
    value,
    columnFor(manager, target, property),
  );
}

/**
 * A lookup of one entity by equal columns (and columns that must be null), its statement built
 * once: call the answer with the values of `equal`, in order.
 */
export function findOneBy<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  equal: readonly (keyof T & string)[],
  isNull: readonly (keyof T & string)[] = [],
): (values: readonly unknown[]) => Promise<T | null> {
  const conditions = [
    ...equal.map(
      (property, i) => `e.${columnOf(manager, target, property)} = ${placeholder(manager, i + 1)}`,
    ),
    ...isNull.map((property) => `e.${columnOf(manager, target, property)} IS NULL`),
  ];
  const sql =
    `SELECT ${selectList(manager, target, 'e')} FROM ${tableOf(manager, target)} e ` +
    `WHERE ${conditions.join(' AND ')}`;
  return async (values) => {
    const rows: Record<string, unknown>[] = await manager.query(sql, [...values]);
    return rows[0] ? hydrate(manager, target, rows[0], 'e') : null;
  };
}

/**
 * Runs a write and answers how many rows it changed: in the manager's transaction if it has
 * one, else on a connection of its own.
 */
export async function affectedRows(
  manager: EntityManager,
  sql: string,
  parameters: readonly unknown[],
): Promise<number> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, [...parameters], true);
    return result.affected ?? 0;
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}

/**
 * `UPDATE … SET … WHERE a = ? AND …` for plain column values matched on plain column values,
 * or null when the update needs the query builder: relation objects, embedded or computed
 * values, operators in the condition, or an entity whose update-date column TypeORM would set by
 * itself. A version column moves as in TypeORM's own UPDATE (`version = version + 1`, unless the
 * values set it). A foreign-key column that doubles as a relation's join column (`tenantId`
 * beside `tenant`) is plain when given its id: every tenant-scoped update matches on one.
 */
export function plainUpdate<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  where: Readonly<Record<string, unknown>>,
  values: Readonly<Record<string, unknown>>,
): { sql: string; parameters: unknown[] } | null {
  const metadata = manager.connection.getMetadata(target);
  if (metadata.updateDateColumn) return null;
  const driver = manager.connection.driver;
  const parameters: unknown[] = [];
  const terms = (record: Readonly<Record<string, unknown>>, plainOnly: boolean) => {
    const out: string[] = [];
    for (const [property, value] of Object.entries(record)) {
      if (value === undefined) continue;
      const column = metadata.findColumnWithPropertyName(property);
      if (!column || column.isVirtual || typeof value === 'function') return null;
      if (column.relationMetadata && value !== null && typeof value === 'object') return null;
      if (plainOnly && (value === null || typeof value === 'object')) return null;
      parameters.push(driver.preparePersistentValue(value, column));
      out.push(
        `${driver.escape(column.databaseName)} = ${placeholder(manager, parameters.length)}`,
      );
    }
    return out.length > 0 ? out : null;
  };
  const assignments = terms(values, false);
  const version = metadata.versionColumn;
  if (assignments && version && values[version.propertyName] === undefined) {
    const name = driver.escape(version.databaseName);
    assignments.push(`${name} = ${name} + 1`);
  }
  const conditions = assignments && terms(where, true);
  if (!assignments || !conditions) return null;
  return {
    sql: `UPDATE ${tableOf(manager, target)} SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')}`,
    parameters,
  };
}

/**
 * `repository.update(where, values)` for the hot paths: plain column values of rows matched by
 * equality go out as one plain statement (the update builder costs more than the database's
 * work; docs/performance.md), anything else through the repository. Answers the rows changed.
 */
export async function updateWhere<T extends ObjectLiteral>(
  repository: Repository<T>,
  where: Readonly<Record<string, unknown>>,
  values: QueryDeepPartialEntity<T>,
): Promise<number> {
  const manager = repository.manager;
  const plain = plainUpdate(manager, repository.target, where, values as Record<string, unknown>);
  if (plain) return affectedRows(manager, plain.sql, plain.parameters);
  const result = await repository.update(where as never, values);
  return result.affected ?? 0;
}
