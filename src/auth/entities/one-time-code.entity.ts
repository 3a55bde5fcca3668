import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';

/**
 * A one-time login code, handed to the browser at the end of a social or SSO login instead of
 * a token (a URL is no place for a token). Only its SHA-256 is stored; it lives 60 s and is
 * redeemed once, by `POST /v1/auth/exchange`.
 */
@Entity('one_time_codes')
@Index('uq_one_time_codes_hash', ['codeHash'], { unique: true })
export class OneTimeCode {
  @UuidPrimaryColumn()
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  codeHash!: string;

  @UuidColumn()
  tenantId!: string;

  @UuidColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** How the user signed in: social, sso. Becomes the session's method. */
  @Column({ type: 'varchar', length: 16 })
  method!: string;

  /** The SSO connection of the login; carried into the session the code opens. */
  @UuidColumn({ nullable: true })
  ssoConnectionId!: string | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  expiresAt!: Date;

  @TimestampColumn({ nullable: true })
  usedAt!: Date | null;

  /**
   * An SSO login whose connection is marked `idpEnforcesMfa` and whose signed answer showed a
   * second factor (SAML AuthnContextClassRef, OIDC `amr`/`acr`): the account's own MFA is met.
   */
  @Column({ type: 'boolean', default: false })
  idpMfa!: boolean;

  /**
   * The PKCE S256 challenge the app gave at the login's start: redemption then needs its
   * `code_verifier`. Null: a bearer code, as before PKCE.
   */
  @Column({ type: 'varchar', length: 128, nullable: true })
  codeChallenge!: string | null;

  /** The session the redemption opened: revoked if the code is ever presented again. */
  @UuidColumn({ nullable: true })
  sessionId!: string | null;
}
