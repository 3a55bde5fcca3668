import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { SsoConnection } from './sso-connection.entity';

/**
 * An email domain claimed by a connection. A claim is pending until the tenant proves the domain
 * with a DNS TXT record; only verified domains route discovery, JIT provisioning and linking.
 * One tenant only can hold a domain verified (the partial unique index), while pending claims of
 * other tenants block nobody: a claim alone proves nothing.
 */
@Entity('sso_connection_domains')
@Index('uq_sso_connection_domains_verified_domain', ['domain'], {
  unique: true,
  where: 'verified_at IS NOT NULL',
})
@Index('uq_sso_connection_domains_tenant_domain', ['tenantId', 'domain'], { unique: true })
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

  /** The value the tenant publishes at `_gatehouse-challenge.<domain>`; kept while the claim is. */
  @Column({ type: 'varchar', length: 128 })
  txtValue!: string;

  /** When the TXT record was found; null while the claim is pending. */
  @TimestampColumn({ nullable: true })
  verifiedAt!: Date | null;
}
