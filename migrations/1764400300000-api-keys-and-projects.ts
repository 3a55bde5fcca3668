import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** API keys, and the sample `projects` resource. */
export class ApiKeysAndProjects1764400300000 implements MigrationInterface {
  name = 'ApiKeysAndProjects1764400300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.varchar('name', 100),
          c.varchar('prefix', 16),
          c.varchar('secret_hash', 64),
          c.uuid('created_by_id'),
          c.json('role_ids'),
          c.timestamp('expires_at', { isNullable: true }),
          c.timestamp('revoked_at', { isNullable: true }),
          c.timestamp('last_used_at', { isNullable: true }),
          c.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_api_keys_prefix', columnNames: ['prefix'], isUnique: true }),
          new TableIndex({ name: 'ix_api_keys_tenant', columnNames: ['tenant_id', 'id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_api_keys_created_by_id',
            columnNames: ['created_by_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'projects',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.uuid('owner_id'),
          c.varchar('name', 200),
          c.varchar('description', 2000),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [new TableIndex({ name: 'ix_projects_tenant', columnNames: ['tenant_id', 'id'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_projects_tenant_id',
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
    await queryRunner.dropTable('projects');
    await queryRunner.dropTable('api_keys');
  }
}
