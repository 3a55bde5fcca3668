import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { PortableSchema } from '../src/database/portable-schema';

/** `Idempotency-Key` on authenticated POSTs: the first answer under each key, for 24 hours. */
export class IdempotencyKeys1764401800000 implements MigrationInterface {
  name = 'IdempotencyKeys1764401800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new PortableSchema(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          c.primaryUuid(),
          c.uuid('tenant_id'),
          c.varchar('principal_type', 16),
          c.varchar('principal_id', 255),
          c.varchar('route', 255),
          c.varchar('idempotency_key', 255),
          c.varchar('request_hash', 64),
          c.integer('response_status', { isNullable: true }),
          c.json('response_headers', { isNullable: true }),
          c.text('response_body', { isNullable: true }),
          c.json('secret_fields', { isNullable: true }),
          c.text('sealed_response', { isNullable: true }),
          c.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_idempotency_keys_scope',
            columnNames: [
              'tenant_id',
              'principal_type',
              'principal_id',
              'route',
              'idempotency_key',
            ],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_idempotency_keys_created_at', columnNames: ['created_at'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('idempotency_keys');
  }
}
