import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Session } from './session.entity';

/**
 * One opaque refresh token of a session. Only its SHA-256 is kept. A rotated token stays as a
 * tombstone until its family ends, so that presenting it again is recognised as reuse.
 */
@Entity('refresh_tokens')
@Index('uq_refresh_tokens_hash', ['tokenHash'], { unique: true })
@Index('ix_refresh_tokens_session', ['sessionId'])
export class RefreshToken {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  sessionId!: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Session;

  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @TimestampColumn()
  createdAt!: Date;

  /** Idle lifetime (`REFRESH_TOKEN_TTL`), capped by the session's absolute end. */
  @TimestampColumn()
  expiresAt!: Date;

  @TimestampColumn({ nullable: true })
  rotatedAt!: Date | null;
}
