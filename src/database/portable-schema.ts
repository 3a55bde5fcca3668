import type { QueryRunner, TableColumnOptions } from 'typeorm';

/**
 * The migration-side twin of `columns.ts`: column definitions that create, on either engine,
 * exactly the types the entities declare. Migrations import only from here, so a migration
 * written once runs on PostgreSQL and SQLite alike.
 */
export class PortableSchema {
  private readonly postgres: boolean;

  constructor(queryRunner: QueryRunner) {
    this.postgres = queryRunner.connection.driver.options.type === 'postgres';
  }

  uuid(name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.postgres ? 'uuid' : 'varchar', ...options };
  }

  primaryUuid(name = 'id'): TableColumnOptions {
    return this.uuid(name, { isPrimary: true });
  }

  timestamp(name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.postgres ? 'timestamptz' : 'datetime', ...options };
  }

  varchar(
    name: string,
    length: number,
    options: Partial<TableColumnOptions> = {},
  ): TableColumnOptions {
    return { name, type: 'varchar', length: String(length), ...options };
  }

  text(name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'text', ...options };
  }

  /** `simple-json` in the entities. */
  json(name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return this.text(name, options);
  }

  boolean(name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions {
    // SQLite reads a boolean default back as 0/1, which is how the entity side normalises it.
    const fallback =
      typeof options.default === 'boolean' && !this.postgres
        ? { default: options.default ? 1 : 0 }
        : {};
    return { name, type: 'boolean', ...options, ...fallback };
  }

  integer(name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'integer', ...options };
  }

  bigint(name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'bigint', ...options };
  }
}
