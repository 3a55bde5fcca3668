import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** The OAuth 2.0 / OIDC authorization server: clients, the provider's artefacts, consents. */
export class OAuthServer1764400600000 implements MigrationInterface {
  name = 'OAuthServer1764400600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'oauth_clients',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.varchar('client_id', 64),
          c.varchar('name', 200),
          c.varchar('type', 16),
          c.json('redirect_uris'),
          c.json('post_logout_redirect_uris'),
          c.json('grant_types'),
          c.json('scopes'),
          c.json('role_ids'),
          c.boolean('skip_consent'),
          c.varchar('secret_hash', 64, { isNullable: true }),
          c.timestamp('secret_rotated_at', { isNullable: true }),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_oauth_clients_client_id',
            columnNames: ['client_id'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_oauth_clients_tenant', columnNames: ['tenant_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_oauth_clients_tenant_id',
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
        name: 'oauth_artifacts',
        columns: [
          c.varchar('model', 40, { isPrimary: true }),
          c.varchar('id', 255, { isPrimary: true }),
          c.text('payload'),
          c.varchar('grant_id', 255, { isNullable: true }),
          c.varchar('uid', 255, { isNullable: true }),
          c.timestamp('expires_at', { isNullable: true }),
          c.timestamp('consumed_at', { isNullable: true }),
        ],
        indices: [
          new TableIndex({ name: 'ix_oauth_artifacts_grant', columnNames: ['grant_id'] }),
          new TableIndex({ name: 'ix_oauth_artifacts_uid', columnNames: ['uid'] }),
          new TableIndex({ name: 'ix_oauth_artifacts_expires', columnNames: ['expires_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'oauth_consents',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.uuid('user_id'),
          c.uuid('client_id'),
          c.json('scopes'),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_oauth_consents_user_client',
            columnNames: ['user_id', 'client_id'],
            isUnique: true,
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_oauth_consents_user_id',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            name: 'fk_oauth_consents_client_id',
            columnNames: ['client_id'],
            referencedTableName: 'oauth_clients',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('oauth_consents');
    await queryRunner.dropTable('oauth_artifacts');
    await queryRunner.dropTable('oauth_clients');
  }
}
