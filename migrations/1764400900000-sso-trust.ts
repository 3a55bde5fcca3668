import { randomBytes } from 'node:crypto';
import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

const DOMAINS = 'sso_connection_domains';

/**
 * SSO trust: domains are proven by DNS before they route anything, and sessions remember the
 * connection they came through so that a change of its trust can end them. Domains already
 * stored become pending (nothing proved them), with a fresh challenge each.
 */
export class SsoTrust1764400900000 implements MigrationInterface {
  name = 'SsoTrust1764400900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.addColumn(
      'sessions',
      new TableColumn(c.uuid('sso_connection_id', { isNullable: true })),
    );
    await queryRunner.createIndex(
      'sessions',
      new TableIndex({ name: 'ix_sessions_sso_connection_id', columnNames: ['sso_connection_id'] }),
    );
    await queryRunner.addColumn(
      'one_time_codes',
      new TableColumn(c.uuid('sso_connection_id', { isNullable: true })),
    );

    await queryRunner.addColumns(DOMAINS, [
      new TableColumn(c.varchar('txt_value', 128, { isNullable: true })),
      new TableColumn(c.timestamp('verified_at', { isNullable: true })),
    ]);
    // Plain SQL: a migration must not read the entities, which describe the schema of today.
    const rows = (await queryRunner.query(`SELECT id FROM ${DOMAINS}`)) as { id: string }[];
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    const update = `UPDATE ${DOMAINS} SET txt_value = ${postgres ? '$1' : '?'} WHERE id = ${postgres ? '$2' : '?'}`;
    for (const row of rows) {
      const challenge = `gatehouse-domain-verification=${randomBytes(32).toString('base64url')}`;
      await queryRunner.query(update, [challenge, row.id]);
    }
    await queryRunner.changeColumn(
      DOMAINS,
      'txt_value',
      new TableColumn(c.varchar('txt_value', 128)),
    );
    await queryRunner.dropIndex(DOMAINS, 'uq_sso_connection_domains_domain');
    await queryRunner.createIndices(DOMAINS, [
      new TableIndex({
        name: 'uq_sso_connection_domains_verified_domain',
        columnNames: ['domain'],
        isUnique: true,
        where: 'verified_at IS NOT NULL',
      }),
      new TableIndex({
        name: 'uq_sso_connection_domains_tenant_domain',
        columnNames: ['tenant_id', 'domain'],
        isUnique: true,
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex(DOMAINS, 'uq_sso_connection_domains_tenant_domain');
    await queryRunner.dropIndex(DOMAINS, 'uq_sso_connection_domains_verified_domain');
    // The old schema allowed one claim per domain: the verified one stays, pending rivals go.
    await queryRunner.query(
      `DELETE FROM ${DOMAINS} WHERE verified_at IS NULL AND domain IN ` +
        `(SELECT o.domain FROM ${DOMAINS} o WHERE o.verified_at IS NOT NULL)`,
    );
    await queryRunner.dropColumn(DOMAINS, 'verified_at');
    await queryRunner.dropColumn(DOMAINS, 'txt_value');
    await queryRunner.createIndex(
      DOMAINS,
      new TableIndex({
        name: 'uq_sso_connection_domains_domain',
        columnNames: ['domain'],
        isUnique: true,
      }),
    );
    await queryRunner.dropColumn('one_time_codes', 'sso_connection_id');
    await queryRunner.dropIndex('sessions', 'ix_sessions_sso_connection_id');
    await queryRunner.dropColumn('sessions', 'sso_connection_id');
  }
}
