import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** Logins in flight at external providers: state, nonce and PKCE verifier, kept server-side. */
export class FederationStates1764400700000 implements MigrationInterface {
  name = 'FederationStates1764400700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'federation_states',
        columns: [
          c.primaryUuid(),
          c.varchar('state_hash', 64),
          c.varchar('purpose', 16),
          c.text('sealed_data'),
          c.timestamp('created_at'),
          c.timestamp('expires_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_federation_states_state_hash',
            columnNames: ['state_hash'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_federation_states_expires_at', columnNames: ['expires_at'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('federation_states');
  }
}
