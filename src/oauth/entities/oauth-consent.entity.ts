import { Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { JsonColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';
import { OAuthClient } from './oauth-client.entity';

/**
 * The scopes a user agreed to give a client. Remembered across browser sessions, so consent is
 * asked once per user, client and scope set; deleting the client or the user forgets it.
 */
@Entity('oauth_consents')
@Index('uq_oauth_consents_user_client', ['userId', 'clientId'], { unique: true })
export class OAuthConsent {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @UuidColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** The client's row id (not its public `clientId`). */
  @UuidColumn()
  clientId!: string;

  @ManyToOne(() => OAuthClient, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  client?: OAuthClient;

  @JsonColumn()
  scopes!: string[];

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}
