import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** The objects an admin edits through `If-Match`; listed here, not imported, so this never changes. */
const TABLES = ['users', 'roles', 'tenants', 'oauth_clients', 'sso_connections'] as const;

/**
 * A version per editable object, moved by every write in the same UPDATE: it is the ETag of the
 * object, and a write conditioned on it (`If-Match`) cannot overwrite a change it has not seen.
 * Rows that exist already start at 1, as new ones do.
 */
export class RowVersions1764401900000 implements MigrationInterface {
  name = 'RowVersions1764401900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    for (const table of TABLES) {
      await queryRunner.addColumn(table, new TableColumn(c.integer('version', { default: 1 })));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [...TABLES].reverse()) await queryRunner.dropColumn(table, 'version');
  }
}
