import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../../database/columns';

/**
 * What oidc-provider persists through its adapter (sessions, interactions, grants, codes,
 * refresh tokens, and a record of each JWT access token), one row per model and id. The id (and
 * a session's uid) is stored as its SHA-256, except a grant's (`storedId`); the payload is the
 * library's JSON without the values that equal a credential; the indexed columns are what the
 * adapter looks rows up by.
 */
@Entity('oauth_artifacts')
@Index('ix_oauth_artifacts_grant', ['grantId'])
@Index('ix_oauth_artifacts_uid', ['uid'])
@Index('ix_oauth_artifacts_expires', ['expiresAt'])
@Index('ix_oauth_artifacts_account', ['accountId', 'model'])
@Index('ix_oauth_artifacts_client', ['clientId', 'model'])
export class OAuthArtifact {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  model!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  grantId!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  uid!: string | null;

  /** The user (`accountId`) and client of grants, tokens, codes and sessions: who to revoke. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  accountId!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  clientId!: string | null;

  /** When the row was last written: a grant's creation, a token's issue. */
  @TimestampColumn({ nullable: true })
  issuedAt!: Date | null;

  @TimestampColumn({ nullable: true })
  expiresAt!: Date | null;

  @TimestampColumn({ nullable: true })
  consumedAt!: Date | null;
}
