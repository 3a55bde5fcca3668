import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/**
 * An MFA challenge remembers the SSO connection of the login it completes, so the session the
 * second factor opens is still one a change of that connection's trust ends.
 */
export class MfaChallengeConnection1764401600000 implements MigrationInterface {
  name = 'MfaChallengeConnection1764401600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.addColumn(
      'action_tokens',
      new TableColumn(c.uuid('sso_connection_id', { isNullable: true })),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('action_tokens', 'sso_connection_id');
  }
}
