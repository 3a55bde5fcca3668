import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { SsoConnection } from './sso-connection.entity';

/**
 * An email domain served by a connection. A domain belongs to one connection of the whole
 * instance (the unique index), so discovery has exactly one answer and no tenant can claim a
 * domain another tenant already routes.
 */
@Entity('sso_connection_domains')
@Index('uq_sso_connection_domains_domain', ['domain'], { unique: true })
@Index('ix_sso_connection_domains_connection_id', ['connectionId'])
export class SsoConnectionDomain {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  connectionId!: string;

  @ManyToOne(() => SsoConnection, (connection) => connection.domains, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id' })
  connection?: SsoConnection;

  @UuidColumn()
  tenantId!: string;

  /** Lower-case, no trailing dot. */
  @Column({ type: 'varchar', length: 253 })
  domain!: string;
}
