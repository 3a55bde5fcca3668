import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** The `__table__` table of the __names__ module. */
export class __Names____timestamp__ implements MigrationInterface {
  name = '__Names____timestamp__';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: '__table__',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.uuid('owner_id'),
          c.varchar('name', 200),
          c.varchar('description', 2000),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({
            name: 'ix___table___tenant_created',
            columnNames: ['tenant_id', 'created_at', 'id'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk___table___tenant_id',
            columnNames: ['tenant_id'],
            referencedTableName: 'tenants',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('__table__');
  }
}
