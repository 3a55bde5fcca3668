import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/**
 * Federated logins meet the account's MFA (issue 17): a connection may be marked as enforcing
 * MFA at the IdP, and a one-time code carries whether its login showed that second factor.
 */
export class FederatedLoginMfa1764401000000 implements MigrationInterface {
  name = 'FederatedLoginMfa1764401000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.addColumn(
      'sso_connections',
      new TableColumn(c.boolean('idp_enforces_mfa', { default: false })),
    );
    await queryRunner.addColumn(
      'one_time_codes',
      new TableColumn(c.boolean('idp_mfa', { default: false })),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('one_time_codes', 'idp_mfa');
    await queryRunner.dropColumn('sso_connections', 'idp_enforces_mfa');
  }
}
