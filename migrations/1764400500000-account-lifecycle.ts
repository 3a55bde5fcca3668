import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** Account lifecycle: single-use action tokens (reset, verify, invite, MFA challenge) and TOTP state. */
export class AccountLifecycle1764400500000 implements MigrationInterface {
  name = 'AccountLifecycle1764400500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    const userForeignKey = (table: string): TableForeignKey =>
      new TableForeignKey({
        name: `fk_${table}_user_id`,
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });

    await queryRunner.createTable(
      new Table({
        name: 'action_tokens',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.uuid('user_id'),
          c.varchar('purpose', 32),
          c.varchar('token_hash', 64),
          c.varchar('email', 254),
          c.integer('attempts'),
          c.timestamp('created_at'),
          c.timestamp('expires_at'),
          c.timestamp('used_at', { isNullable: true }),
        ],
        indices: [
          new TableIndex({
            name: 'uq_action_tokens_hash',
            columnNames: ['token_hash'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'ix_action_tokens_user_purpose',
            columnNames: ['user_id', 'purpose'],
          }),
        ],
        foreignKeys: [userForeignKey('action_tokens')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'mfa_recovery_codes',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.uuid('user_id'),
          c.varchar('code_hash', 64),
          c.timestamp('created_at'),
          c.timestamp('used_at', { isNullable: true }),
        ],
        indices: [
          new TableIndex({
            name: 'uq_mfa_recovery_codes_hash',
            columnNames: ['code_hash'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_mfa_recovery_codes_user', columnNames: ['user_id'] }),
        ],
        foreignKeys: [userForeignKey('mfa_recovery_codes')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'user_mfa_states',
        columns: [
          c.primaryUuid('user_id'),
          c.uuid('tenant_id'),
          c.integer('last_time_step', { isNullable: true }),
          c.integer('failed_attempts'),
          c.timestamp('blocked_until', { isNullable: true }),
          c.timestamp('enabled_at'),
          c.timestamp('updated_at'),
        ],
        foreignKeys: [userForeignKey('user_mfa_states')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('user_mfa_states');
    await queryRunner.dropTable('mfa_recovery_codes');
    await queryRunner.dropTable('action_tokens');
  }
}
