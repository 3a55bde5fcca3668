import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';

export const ACTION_TOKEN_PURPOSES = [
  'password_reset',
  'email_verification',
  'invite',
  'mfa_challenge',
] as const;
export type ActionTokenPurpose = (typeof ACTION_TOKEN_PURPOSES)[number];

/**
 * A single-use token that lets its bearer do one thing for one user: set a password (reset or
 * invite link), prove a mailbox (verification link), or finish a login with a second factor
 * (`mfaToken`). Only its SHA-256 is stored. It is spent by one conditional UPDATE of `used_at`,
 * so of two concurrent redemptions exactly one wins; issuing a new token of a purpose spends
 * the older ones of that user and purpose.
 */
@Entity('action_tokens')
@Index('uq_action_tokens_hash', ['tokenHash'], { unique: true })
@Index('ix_action_tokens_user_purpose', ['userId', 'purpose'])
export class ActionToken {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @UuidColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 32 })
  purpose!: ActionTokenPurpose;

  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  /**
   * The address the token was sent to. A mailed token is honoured only while the account still
   * has this address: proving an old mailbox must not verify a new one.
   */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /**
   * An MFA challenge of an SSO login: the connection the session it opens will remember, so
   * that a change of the connection's trust ends that session too.
   */
  @UuidColumn({ nullable: true })
  ssoConnectionId!: string | null;

  /** Wrong codes presented with an MFA challenge; it is spent after a few. */
  @Column({ type: 'integer' })
  attempts!: number;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  expiresAt!: Date;

  /** Redeemed, superseded by a newer token, or spent by too many wrong codes. */
  @TimestampColumn({ nullable: true })
  usedAt!: Date | null;
}
