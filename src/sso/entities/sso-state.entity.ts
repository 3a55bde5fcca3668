import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../../database/columns';

/**
 * Short-lived SSO state kept in the database when Redis is not configured (or not reachable):
 * SAML request ids awaiting their response, assertion ids already used, OIDC login
 * transactions. The key is stored hashed; rows are useless after `expiresAt` and purged.
 */
@Entity('sso_states')
@Index('ix_sso_states_expires_at', ['expiresAt'])
export class SsoState {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ type: 'text' })
  value!: string;

  @TimestampColumn()
  expiresAt!: Date;
}
