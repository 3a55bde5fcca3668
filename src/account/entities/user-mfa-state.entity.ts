import { Column, Entity, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';

/**
 * The moving parts of a user's TOTP factor (the secret itself is `users.mfa_secret`, sealed).
 * One row per enrolled user, written at confirmation and removed when MFA is disabled.
 */
@Entity('user_mfa_states')
export class UserMfaState {
  @UuidPrimaryColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @UuidColumn()
  tenantId!: string;

  /**
   * The RFC 6238 time step of the last TOTP code accepted. A code of this step or an earlier
   * one is refused, so an observed code cannot be replayed within its window (RFC 6238 §5.2).
   */
  @Column({ type: 'integer', nullable: true })
  lastTimeStep!: number | null;

  /** Wrong codes in a row; past a threshold, codes are refused for a while. */
  @Column({ type: 'integer' })
  failedAttempts!: number;

  @TimestampColumn({ nullable: true })
  blockedUntil!: Date | null;

  @TimestampColumn()
  enabledAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}
