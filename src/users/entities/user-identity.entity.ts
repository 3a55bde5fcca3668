import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from './user.entity';

/**
 * A way to sign in through someone else: a social provider account, or an enterprise SSO
 * connection's subject (SAML NameID, OIDC `sub`). `provider` is `google`, `github`, a configured
 * OIDC provider's name, or `sso:<connectionId>`; `(tenant, provider, subject)` is unique, so an
 * external account belongs to at most one user per tenant.
 */
@Entity('user_identities')
@Index('uq_user_identities_subject', ['tenantId', 'provider', 'subject'], { unique: true })
@Index('ix_user_identities_user', ['userId'])
export class UserIdentity {
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
  provider!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  /** The email the provider asserted when the identity was linked or last used. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn({ nullable: true })
  lastUsedAt!: Date | null;
}
