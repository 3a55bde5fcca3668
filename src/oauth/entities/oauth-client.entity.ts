import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import {
  JsonColumn,
  TimestampColumn,
  UuidColumn,
  UuidPrimaryColumn,
  RowVersionColumn,
} from '../../database/columns';
import { Tenant } from '../../tenants/entities/tenant.entity';

export const OAUTH_CLIENT_TYPES = ['confidential', 'public'] as const;
export type OAuthClientType = (typeof OAUTH_CLIENT_TYPES)[number];

export const OAUTH_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
] as const;
export type OAuthGrantType = (typeof OAUTH_GRANT_TYPES)[number];

/**
 * An application registered with the authorization server, owned by one tenant: its users sign
 * in to that tenant only. `clientId` is the public identifier the protocol uses; the secret of a
 * confidential client is kept only as its SHA-256.
 */
@Entity('oauth_clients')
@Index('uq_oauth_clients_client_id', ['clientId'], { unique: true })
@Index('ix_oauth_clients_tenant', ['tenantId'])
@Index('ix_oauth_clients_tenant_created', ['tenantId', 'createdAt', 'id'])
export class OAuthClient {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: OAuthClientType;

  @JsonColumn()
  redirectUris!: string[];

  @JsonColumn()
  postLogoutRedirectUris!: string[];

  @JsonColumn()
  grantTypes!: OAuthGrantType[];

  @JsonColumn()
  scopes!: string[];

  /** Roles of the tenant whose rules a client-credentials token carries (cut down by its scopes). */
  @JsonColumn()
  roleIds!: string[];

  @Column({ type: 'boolean' })
  skipConsent!: boolean;

  @Column({ type: 'varchar', length: 64, nullable: true })
  secretHash!: string | null;

  /** Tokens issued to the client before this instant stop working (the secret was rotated). */
  @TimestampColumn({ nullable: true })
  secretRotatedAt!: Date | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;

  @RowVersionColumn()
  version!: number;
}
