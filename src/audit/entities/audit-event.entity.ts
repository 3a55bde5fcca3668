import { Column, Entity, Index } from 'typeorm';
import { JsonColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

export type AuditActorType = 'user' | 'api_key' | 'client' | 'system';
export type AuditOutcome = 'success' | 'failure';

/**
 * One audit event. Rows are only ever inserted. Each carries the hash of the previous row of
 * its chain (one chain per tenant, plus one for instance-level events), so an edited, removed
 * or reordered row breaks the chain where it happened. The hash is keyed (HMAC), so recomputing
 * the chain takes the key, not only database access.
 */
@Entity('audit_events')
@Index('uq_audit_events_chain_seq', ['chain', 'seq'], { unique: true })
@Index('ix_audit_events_tenant_id', ['tenantId', 'id'])
@Index('ix_audit_events_tenant_seq', ['tenantId', 'seq'])
export class AuditEvent {
  @UuidPrimaryColumn()
  id!: string;

  /** The tenant's id, or "instance" for events that belong to no tenant. */
  @Column({ type: 'varchar', length: 36 })
  chain!: string;

  /** Position in the chain, from 1. */
  @Column({ type: 'integer' })
  seq!: number;

  @TimestampColumn()
  at!: Date;

  @UuidColumn({ nullable: true })
  tenantId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  actorType!: AuditActorType;

  @Column({ type: 'varchar', length: 128, nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @JsonColumn()
  // `object` rather than a recursive JSON type keeps TypeORM's insert typings tractable.
  metadata!: object;

  @Column({ type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /**
   * The chain key `hash` is an HMAC under (a fingerprint, see `AuditChainKeys`); null for rows
   * written before the chain was keyed, whose `hash` is plain SHA-256.
   */
  @Column({ type: 'varchar', length: 16, nullable: true })
  keyId!: string | null;
}
