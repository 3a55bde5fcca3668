import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';

/**
 * One of the ten recovery codes shown once at MFA enrollment. Codes carry 80 random bits, so a
 * SHA-256 (salted with the user id) is enough to keep them out of reach of a database reader;
 * each is spent by one conditional UPDATE.
 */
@Entity('mfa_recovery_codes')
@Index('uq_mfa_recovery_codes_hash', ['codeHash'], { unique: true })
@Index('ix_mfa_recovery_codes_user', ['userId'])
export class MfaRecoveryCode {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @UuidColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 64 })
  codeHash!: string;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn({ nullable: true })
  usedAt!: Date | null;
}
