import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** One-time login codes may be bound to a PKCE challenge given at the login's start (F13). */
export class OneTimeCodeChallenge1764401300000 implements MigrationInterface {
  name = 'OneTimeCodeChallenge1764401300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.addColumn(
      'one_time_codes',
      new TableColumn(c.varchar('code_challenge', 128, { isNullable: true })),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('one_time_codes', 'code_challenge');
  }
}
