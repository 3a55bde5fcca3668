import { Column, Entity, Index } from 'typeorm';
import { JsonColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

/**
 * One `Idempotency-Key` of one caller on one route, and the first answer given under it. The
 * row is written before the request runs (no answer yet: in progress), so of two requests with
 * the same key only one gets to run; the unique index is what decides, on every instance.
 */
@Entity('idempotency_keys')
@Index(
  'uq_idempotency_keys_scope',
  ['tenantId', 'principalType', 'principalId', 'route', 'idempotencyKey'],
  { unique: true },
)
@Index('ix_idempotency_keys_created_at', ['createdAt'])
export class IdempotencyKey {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  /** `user`, `user_oauth` (a third-party app's token), `api_key` or `client`. */
  @Column({ type: 'varchar', length: 16 })
  principalType!: string;

  @Column({ type: 'varchar', length: 255 })
  principalId!: string;

  /** Method and path template, e.g. `POST /v1/oauth/clients/:id/secret`. */
  @Column({ type: 'varchar', length: 255 })
  route!: string;

  @Column({ type: 'varchar', length: 255 })
  idempotencyKey!: string;

  /** SHA-256 of the request's path, query and canonical JSON body. */
  @Column({ type: 'varchar', length: 64 })
  requestHash!: string;

  /** The answer's status; null while the first request is still running. */
  @Column({ type: 'integer', nullable: true })
  responseStatus!: number | null;

  /** Headers that belong to the answer (`Location`). */
  @JsonColumn({ nullable: true })
  responseHeaders!: Record<string, string> | null;

  /** The answer's JSON without its one-time secrets; null for an answer without a body. */
  @Column({ type: 'text', nullable: true })
  responseBody!: string | null;

  /** The fields left out of `responseBody` because they held a one-time secret. */
  @JsonColumn({ nullable: true })
  secretFields!: string[] | null;

  /** The whole answer, sealed, while its secrets may still be replayed (10 minutes). */
  @Column({ type: 'text', nullable: true })
  sealedResponse!: string | null;

  @TimestampColumn()
  createdAt!: Date;
}
