import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/** Each list's scope, then its order: a page is one index range scan, however deep it is. */
const INDEXES: { table: string; name: string; columns: string[] }[] = [
  { table: 'users', name: 'ix_users_tenant_created', columns: ['tenant_id', 'created_at', 'id'] },
  { table: 'roles', name: 'ix_roles_tenant_created', columns: ['tenant_id', 'created_at', 'id'] },
  { table: 'tenants', name: 'ix_tenants_created', columns: ['created_at', 'id'] },
  {
    table: 'projects',
    name: 'ix_projects_tenant_created',
    columns: ['tenant_id', 'created_at', 'id'],
  },
  {
    table: 'api_keys',
    name: 'ix_api_keys_tenant_created',
    columns: ['tenant_id', 'created_at', 'id'],
  },
  {
    table: 'oauth_clients',
    name: 'ix_oauth_clients_tenant_created',
    columns: ['tenant_id', 'created_at', 'id'],
  },
  {
    table: 'sso_connections',
    name: 'ix_sso_connections_tenant_created',
    columns: ['tenant_id', 'created_at', 'id'],
  },
  { table: 'sessions', name: 'ix_sessions_user_created', columns: ['user_id', 'created_at', 'id'] },
  // The audit log is listed by its chain position, which `uq_audit_events_chain_seq` covers
  // per chain; lists filter by tenant.
  { table: 'audit_events', name: 'ix_audit_events_tenant_seq', columns: ['tenant_id', 'seq'] },
];

/** Indexes for the one stable order of every list: `(created_at, id)` within its scope. */
export class ListOrderIndexes1764402000000 implements MigrationInterface {
  name = 'ListOrderIndexes1764402000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const { table, name, columns } of INDEXES) {
      await queryRunner.createIndex(table, new TableIndex({ name, columnNames: columns }));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const { table, name } of [...INDEXES].reverse()) {
      await queryRunner.dropIndex(table, name);
    }
  }
}
