import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import {
  JsonColumn,
  TimestampColumn,
  UuidColumn,
  UuidPrimaryColumn,
  RowVersionColumn,
} from '../../database/columns';
import { Tenant } from '../../tenants/entities/tenant.entity';
import type { PermissionRule } from '../permission-rule';

@Entity('roles')
@Index('uq_roles_tenant_name', ['tenantId', 'name'], { unique: true })
@Index('ix_roles_tenant_created', ['tenantId', 'createdAt', 'id'])
export class Role {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 500 })
  description!: string;

  @Column({ type: 'boolean' })
  builtIn!: boolean;

  @JsonColumn()
  permissions!: PermissionRule[];

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;

  @RowVersionColumn()
  version!: number;
}
