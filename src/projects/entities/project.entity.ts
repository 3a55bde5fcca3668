import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Tenant } from '../../tenants/entities/tenant.entity';

/** The sample protected resource: a project of a tenant, owned by one of its users. */
@Entity('projects')
@Index('ix_projects_tenant', ['tenantId', 'id'])
@Index('ix_projects_tenant_created', ['tenantId', 'createdAt', 'id'])
export class Project {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  /** The user who manages it (members manage only their own). */
  @UuidColumn()
  ownerId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 2000 })
  description!: string;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}
