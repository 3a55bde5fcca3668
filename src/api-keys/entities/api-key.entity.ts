import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { JsonColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';

/**
 * A key for machine access: `gat_<prefix>_<secret>`, sent as `X-API-Key`. The prefix finds the
 * row; only the SHA-256 of the whole key is stored. A key acts with its roles, and never beyond
 * its creator's current permissions.
 */
@Entity('api_keys')
@Index('uq_api_keys_prefix', ['prefix'], { unique: true })
@Index('ix_api_keys_tenant', ['tenantId', 'id'])
@Index('ix_api_keys_tenant_created', ['tenantId', 'createdAt', 'id'])
export class ApiKey {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ type: 'varchar', length: 64 })
  secretHash!: string;

  @UuidColumn()
  createdById!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'created_by_id' })
  createdBy?: User;

  /** Ids of roles of the tenant; a deleted role simply stops counting. */
  @JsonColumn()
  roleIds!: string[];

  @TimestampColumn({ nullable: true })
  expiresAt!: Date | null;

  @TimestampColumn({ nullable: true })
  revokedAt!: Date | null;

  @TimestampColumn({ nullable: true })
  lastUsedAt!: Date | null;

  @TimestampColumn()
  createdAt!: Date;
}
