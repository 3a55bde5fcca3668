import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** One-time codes that end social and SSO logins. */
export class OneTimeCodes1764400100000 implements MigrationInterface {
  name = 'OneTimeCodes1764400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'one_time_codes',
        columns: [
          c.primaryUuid(),
          c.varchar('code_hash', 64),
          c.uuid('tenant_id'),
          c.uuid('user_id'),
          c.varchar('method', 16),
          c.timestamp('created_at'),
          c.timestamp('expires_at'),
          c.timestamp('used_at', { isNullable: true }),
          c.uuid('session_id', { isNullable: true }),
        ],
        indices: [
          new TableIndex({
            name: 'uq_one_time_codes_hash',
            columnNames: ['code_hash'],
            isUnique: true,
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_one_time_codes_user_id',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('one_time_codes');
  }
}
