import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** Identities at social providers and enterprise SSO connections, linked to users. */
export class UserIdentities1764400200000 implements MigrationInterface {
  name = 'UserIdentities1764400200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'user_identities',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.uuid('user_id'),
          c.varchar('provider', 64),
          c.varchar('subject', 255),
          c.varchar('email', 254, { isNullable: true }),
          c.timestamp('created_at'),
          c.timestamp('last_used_at', { isNullable: true }),
        ],
        indices: [
          new TableIndex({
            name: 'uq_user_identities_subject',
            columnNames: ['tenant_id', 'provider', 'subject'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_user_identities_user', columnNames: ['user_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_user_identities_user_id',
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
    await queryRunner.dropTable('user_identities');
  }
}
