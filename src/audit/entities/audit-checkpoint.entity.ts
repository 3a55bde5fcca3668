import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../../database/columns';

/**
 * How far a chain was last verified intact: the next verify starts after `seq`, and the row at
 * `seq` must still carry `hash` (a chain cut below it, or rewritten up to it, is broken). MACed
 * with the chain key, so editing it in the database breaks verification instead of moving it.
 */
@Entity('audit_checkpoints')
export class AuditCheckpoint {
  /** The chain: a tenant's id, or "instance". */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  chain!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /** Whether any row up to `seq` is keyed: no unkeyed row may follow. */
  @Column({ type: 'boolean' })
  keyed!: boolean;

  @Column({ type: 'varchar', length: 16 })
  keyId!: string;

  @Column({ type: 'varchar', length: 64 })
  mac!: string;

  @TimestampColumn()
  verifiedAt!: Date;
}
