import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/**
 * A keyed audit chain, verified incrementally: each row names the HMAC key of its hash (null on
 * the rows written before, hashed unkeyed), and each chain keeps the point it was last verified
 * to.
 */
export class AuditChainKeys1764401400000 implements MigrationInterface {
  name = 'AuditChainKeys1764401400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.addColumn(
      'audit_events',
      new TableColumn(c.varchar('key_id', 16, { isNullable: true })),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoints',
        columns: [
          c.varchar('chain', 36, { isPrimary: true }),
          c.integer('seq'),
          c.varchar('hash', 64),
          c.boolean('keyed'),
          c.varchar('key_id', 16),
          c.varchar('mac', 64),
          c.timestamp('verified_at'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_checkpoints');
    await queryRunner.dropColumn('audit_events', 'key_id');
  }
}
