import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';

/**
 * A signed-in device: one refresh-token family. Its id is the `sid` of every access token
 * issued in it, so revoking the row refuses those tokens too.
 */
@Entity('sessions')
@Index('ix_sessions_user', ['userId'])
@Index('ix_sessions_sso_connection_id', ['ssoConnectionId'])
@Index('ix_sessions_user_created', ['userId', 'createdAt', 'id'])
export class Session {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @UuidColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** How the user proved who they are: password, mfa, social, sso, oauth. */
  @Column({ type: 'varchar', length: 16 })
  method!: string;

  /** The SSO connection the user came through: a change of its trust ends the session. */
  @UuidColumn({ nullable: true })
  ssoConnectionId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  lastUsedAt!: Date;

  /** Absolute end of the family (`SESSION_MAX_AGE`), whatever the refreshes. */
  @TimestampColumn()
  expiresAt!: Date;

  @TimestampColumn({ nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  revokedReason!: string | null;
}
