import { Column, Entity, Index, JoinColumn, JoinTable, ManyToMany, ManyToOne } from 'typeorm';
import {
  TimestampColumn,
  UuidColumn,
  UuidPrimaryColumn,
  RowVersionColumn,
} from '../../database/columns';
import { Role } from '../../roles/entities/role.entity';
import { Tenant } from '../../tenants/entities/tenant.entity';

export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

@Entity('users')
// One live account per email in a tenant; a deleted account keeps its row for the audit trail
// and frees the address.
@Index('uq_users_tenant_email', ['tenantId', 'email'], {
  unique: true,
  where: 'deleted_at IS NULL',
})
@Index('ix_users_tenant_created', ['tenantId', 'createdAt', 'id'])
export class User {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  /** Stored lower-cased: addresses compare case-insensitively. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** argon2id; null for accounts that sign in only through a provider, or are still invited. */
  @Column({ type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: UserStatus;

  @Column({ type: 'boolean' })
  emailVerified!: boolean;

  @Column({ type: 'boolean' })
  mfaEnabled!: boolean;

  /** TOTP secret, encrypted with the key-encryption key. */
  @Column({ type: 'text', nullable: true })
  mfaSecret!: string | null;

  @ManyToMany(() => Role, { onDelete: 'CASCADE' })
  @JoinTable({
    name: 'user_roles',
    joinColumn: { name: 'user_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'role_id', referencedColumnName: 'id' },
  })
  roles?: Role[];

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;

  @TimestampColumn({ nullable: true })
  lastLoginAt!: Date | null;

  @TimestampColumn({ nullable: true })
  deletedAt!: Date | null;

  @RowVersionColumn()
  version!: number;
}
