import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { PortableSchema } from '../src/database/portable-schema';

const TABLE = 'oauth_artifacts';
const OWNED_MODELS = ['Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode', 'Session'];
const BATCH = 500;

/**
 * Who an OAuth artefact belongs to, as indexed columns, so that a user's grants (connected
 * apps, revocation on credential changes) and a client's grants can be found without reading
 * every payload. Existing rows are filled in from their JSON payload.
 */
export class OAuthGrantOwners1764401100000 implements MigrationInterface {
  name = 'OAuthGrantOwners1764401100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.addColumns(TABLE, [
      new TableColumn(c.varchar('account_id', 255, { isNullable: true })),
      new TableColumn(c.varchar('client_id', 255, { isNullable: true })),
      new TableColumn(c.timestamp('issued_at', { isNullable: true })),
    ]);
    await queryRunner.createIndices(TABLE, [
      new TableIndex({ name: 'ix_oauth_artifacts_account', columnNames: ['account_id', 'model'] }),
      new TableIndex({ name: 'ix_oauth_artifacts_client', columnNames: ['client_id', 'model'] }),
    ]);
    await this.backfill(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex(TABLE, 'ix_oauth_artifacts_client');
    await queryRunner.dropIndex(TABLE, 'ix_oauth_artifacts_account');
    await queryRunner.dropColumns(TABLE, ['issued_at', 'client_id', 'account_id']);
  }

  /** Raw SQL only: the entity of a later release may not match this schema. */
  private async backfill(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    const p = (n: number) => (postgres ? `$${n}` : '?');
    const timestamp = new PortableSchema(queryRunner).timestamp('issued_at');
    // The engine's own form of an instant (UTC text on SQLite), as the entity would write it.
    const stored = (date: Date | null): unknown =>
      date === null
        ? null
        : queryRunner.connection.driver.preparePersistentValue(date, {
            type: timestamp.type,
          } as ColumnMetadata);
    const models = OWNED_MODELS.map((_, index) => p(index + 1)).join(', ');
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    let after = { model: '', id: '' };
    for (;;) {
      const n = OWNED_MODELS.length;
      const rows = (await queryRunner.query(
        `SELECT model, id, payload FROM ${TABLE} WHERE model IN (${models}) ` +
          `AND (model > ${p(n + 1)} OR (model = ${p(n + 2)} AND id > ${p(n + 3)})) ` +
          `ORDER BY model, id LIMIT ${BATCH}`,
        [...OWNED_MODELS, after.model, after.model, after.id],
      )) as { model: string; id: string; payload: string }[];
      for (const row of rows) {
        const payload = JSON.parse(row.payload) as Record<string, unknown>;
        const iat = typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : null;
        await queryRunner.query(
          `UPDATE ${TABLE} SET account_id = ${p(1)}, client_id = ${p(2)}, issued_at = ${p(3)} ` +
            `WHERE model = ${p(4)} AND id = ${p(5)}`,
          [text(payload.accountId), text(payload.clientId), stored(iat), row.model, row.id],
        );
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < BATCH) return;
      after = { model: last.model, id: last.id };
    }
  }
}
