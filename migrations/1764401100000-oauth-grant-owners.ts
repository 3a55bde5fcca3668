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

  private async backfill(queryRunner: QueryRunner): Promise<void> {
    const timestamp = new PortableSchema(queryRunner).timestamp('issued_at');
    // The engine's own form of an instant (UTC text on SQLite), as the entity would write it.
    const stored = (date: Date | null): unknown =>
      date === null
        ? null
        : queryRunner.connection.driver.preparePersistentValue(date, {
            type: timestamp.type,
          } as ColumnMetadata);
    const builder = () => queryRunner.manager.createQueryBuilder().from(TABLE, 'a');
    let after: { model: string; id: string } | null = null;
    for (;;) {
      const query = builder()
        .select(['a.model AS model', 'a.id AS id', 'a.payload AS payload'])
        .where('a.model IN (:...models)', { models: OWNED_MODELS })
        .orderBy('a.model')
        .addOrderBy('a.id')
        .limit(BATCH);
      if (after) {
        query.andWhere('(a.model > :model OR (a.model = :model AND a.id > :id))', after);
      }
      const rows: { model: string; id: string; payload: string }[] = await query.getRawMany();
      for (const row of rows) {
        const payload = JSON.parse(row.payload) as Record<string, unknown>;
        const text = (value: unknown) => (typeof value === 'string' ? value : null);
        const iat = typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : null;
        await queryRunner.manager
          .createQueryBuilder()
          .update(TABLE)
          .set({
            account_id: text(payload.accountId),
            client_id: text(payload.clientId),
            issued_at: stored(iat),
          })
          .where('model = :model AND id = :id', { model: row.model, id: row.id })
          .execute();
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < BATCH) return;
      after = { model: last.model, id: last.id };
    }
  }
}
