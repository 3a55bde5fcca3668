import { Column, Entity, Index } from 'typeorm';
import { TimestampColumn, UuidPrimaryColumn } from '../../database/columns';

/**
 * The server-side half of a login in flight at an external provider (social or SSO): what the
 * callback needs to finish it (PKCE verifier, nonce, redirect URI, browser binding). The
 * browser only carries the `state`; this row is found by its SHA-256, read once and deleted,
 * and its data is sealed (AES-256-GCM) and bound to that hash and purpose.
 */
@Entity('federation_states')
@Index('uq_federation_states_state_hash', ['stateHash'], { unique: true })
@Index('ix_federation_states_expires_at', ['expiresAt'])
export class FederationState {
  @UuidPrimaryColumn()
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  stateHash!: string;

  /** Which flow wrote it (`social`, `sso`): a state of one cannot finish the other. */
  @Column({ type: 'varchar', length: 16 })
  purpose!: string;

  @Column({ type: 'text' })
  sealedData!: string;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  expiresAt!: Date;
}
