import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** Tenants, users and roles, sessions with their refresh tokens, signing keys, the audit log. */
export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);

    await queryRunner.createTable(
      new Table({
        name: 'tenants',
        columns: [
          c.primaryUuid(),
          c.varchar('slug', 40),
          c.varchar('name', 200),
          c.varchar('plan', 16),
          c.varchar('status', 16),
          c.boolean('is_root'),
          c.json('settings'),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_tenants_slug', columnNames: ['slug'], isUnique: true }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'roles',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.varchar('name', 64),
          c.varchar('description', 500),
          c.boolean('built_in'),
          c.json('permissions'),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_roles_tenant_name',
            columnNames: ['tenant_id', 'name'],
            isUnique: true,
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_roles_tenant_id',
            columnNames: ['tenant_id'],
            referencedTableName: 'tenants',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.varchar('email', 254),
          c.varchar('name', 200),
          c.text('password_hash', { isNullable: true }),
          c.varchar('status', 16),
          c.boolean('email_verified'),
          c.boolean('mfa_enabled'),
          c.text('mfa_secret', { isNullable: true }),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
          c.timestamp('last_login_at', { isNullable: true }),
          c.timestamp('deleted_at', { isNullable: true }),
        ],
        indices: [
          new TableIndex({
            name: 'uq_users_tenant_email',
            columnNames: ['tenant_id', 'email'],
            isUnique: true,
            where: 'deleted_at IS NULL',
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_users_tenant_id',
            columnNames: ['tenant_id'],
            referencedTableName: 'tenants',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'user_roles',
        columns: [c.uuid('user_id', { isPrimary: true }), c.uuid('role_id', { isPrimary: true })],
        indices: [
          new TableIndex({ name: 'ix_user_roles_user_id', columnNames: ['user_id'] }),
          new TableIndex({ name: 'ix_user_roles_role_id', columnNames: ['role_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_user_roles_user_id',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'CASCADE',
          }),
          new TableForeignKey({
            name: 'fk_user_roles_role_id',
            columnNames: ['role_id'],
            referencedTableName: 'roles',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'CASCADE',
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.uuid('user_id'),
          c.varchar('method', 16),
          c.varchar('ip', 64, { isNullable: true }),
          c.varchar('user_agent', 512, { isNullable: true }),
          c.timestamp('created_at'),
          c.timestamp('last_used_at'),
          c.timestamp('expires_at'),
          c.timestamp('revoked_at', { isNullable: true }),
          c.varchar('revoked_reason', 32, { isNullable: true }),
        ],
        indices: [new TableIndex({ name: 'ix_sessions_user', columnNames: ['user_id'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_sessions_user_id',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'refresh_tokens',
        columns: [
          c.primaryUuid(),
          c.uuid('session_id'),
          c.varchar('token_hash', 64),
          c.timestamp('created_at'),
          c.timestamp('expires_at'),
          c.timestamp('rotated_at', { isNullable: true }),
        ],
        indices: [
          new TableIndex({
            name: 'uq_refresh_tokens_hash',
            columnNames: ['token_hash'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_refresh_tokens_session', columnNames: ['session_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_refresh_tokens_session_id',
            columnNames: ['session_id'],
            referencedTableName: 'sessions',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          c.varchar('id', 64, { isPrimary: true }),
          c.varchar('alg', 16),
          c.json('public_jwk'),
          c.text('private_jwk_encrypted'),
          c.varchar('status', 16),
          c.timestamp('created_at'),
          c.timestamp('retired_at', { isNullable: true }),
          c.timestamp('publish_until', { isNullable: true }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          c.primaryUuid(),
          c.varchar('chain', 36),
          c.integer('seq'),
          c.timestamp('at'),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('actor_type', 16),
          c.varchar('actor_id', 128, { isNullable: true }),
          c.varchar('action', 64),
          c.varchar('target_type', 32, { isNullable: true }),
          c.varchar('target_id', 128, { isNullable: true }),
          c.varchar('outcome', 16),
          c.varchar('ip', 64, { isNullable: true }),
          c.varchar('user_agent', 512, { isNullable: true }),
          c.varchar('request_id', 128, { isNullable: true }),
          c.json('metadata'),
          c.varchar('prev_hash', 64),
          c.varchar('hash', 64),
        ],
        indices: [
          new TableIndex({
            name: 'uq_audit_events_chain_seq',
            columnNames: ['chain', 'seq'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_audit_events_tenant_id', columnNames: ['tenant_id', 'id'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_events',
      'signing_keys',
      'refresh_tokens',
      'sessions',
      'user_roles',
      'users',
      'roles',
      'tenants',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
