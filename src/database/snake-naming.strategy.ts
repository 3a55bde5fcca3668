import { DefaultNamingStrategy, type NamingStrategyInterface, type Table } from 'typeorm';

function snake(value: string): string {
  return value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function tableName(table: Table | string): string {
  return typeof table === 'string' ? table : table.name;
}

/**
 * snake_case columns, and readable, deterministic constraint names. The default strategy hashes
 * constraint names; ours can be written by hand in a migration that runs on both engines.
 */
export class SnakeNamingStrategy extends DefaultNamingStrategy implements NamingStrategyInterface {
  override columnName(
    propertyName: string,
    customName: string | undefined,
    prefixes: string[],
  ): string {
    return snake([...prefixes, customName ?? propertyName].join('_'));
  }

  override relationName(propertyName: string): string {
    return snake(propertyName);
  }

  override joinColumnName(relationName: string, referencedColumnName: string): string {
    return snake(`${relationName}_${referencedColumnName}`);
  }

  override joinTableColumnName(
    tableName: string,
    propertyName: string,
    columnName?: string,
  ): string {
    return snake(`${tableName}_${columnName ?? propertyName}`);
  }

  override primaryKeyName(table: Table | string): string {
    return `pk_${tableName(table)}`;
  }

  override indexName(table: Table | string, columnNames: string[]): string {
    return `ix_${tableName(table)}_${columnNames.join('_')}`;
  }

  override foreignKeyName(table: Table | string, columnNames: string[]): string {
    return `fk_${tableName(table)}_${columnNames.join('_')}`;
  }
}
