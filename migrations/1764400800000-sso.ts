import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** Enterprise SSO: connections, the email domains they serve, and short-lived protocol state. */
export class Sso1764400800000 implements MigrationInterface {
  name = 'Sso1764400800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'sso_connections',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.varchar('type', 8),
          c.varchar('name', 200),
          c.boolean('jit_provisioning'),
          c.json('default_role_ids'),
          c.json('attribute_mapping', { isNullable: true }),
          c.json('saml', { isNullable: true }),
          c.json('oidc', { isNullable: true }),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'ix_sso_connections_tenant_id', columnNames: ['tenant_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_sso_connections_tenant_id',
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
        name: 'sso_connection_domains',
        columns: [
          c.primaryUuid(),
          c.uuid('connection_id'),
          c.uuid('tenant_id'),
          c.varchar('domain', 253),
        ],
        indices: [
          new TableIndex({
            name: 'uq_sso_connection_domains_domain',
            columnNames: ['domain'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'ix_sso_connection_domains_connection_id',
            columnNames: ['connection_id'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_sso_connection_domains_connection_id',
            columnNames: ['connection_id'],
            referencedTableName: 'sso_connections',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'sso_states',
        columns: [
          c.varchar('key_hash', 64, { isPrimary: true }),
          c.text('value'),
          c.timestamp('expires_at'),
        ],
        indices: [
          new TableIndex({ name: 'ix_sso_states_expires_at', columnNames: ['expires_at'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sso_states');
    await queryRunner.dropTable('sso_connection_domains');
    await queryRunner.dropTable('sso_connections');
  }
}
