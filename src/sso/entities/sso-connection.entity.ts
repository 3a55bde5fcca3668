import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany } from 'typeorm';
import {
  JsonColumn,
  TimestampColumn,
  UuidColumn,
  UuidPrimaryColumn,
  RowVersionColumn,
} from '../../database/columns';
import { Tenant } from '../../tenants/entities/tenant.entity';
import { SsoConnectionDomain } from './sso-connection-domain.entity';

export const SSO_CONNECTION_TYPES = ['saml', 'oidc'] as const;
export type SsoConnectionType = (typeof SSO_CONNECTION_TYPES)[number];

/** Where the user's email, name and groups come from, and which roles groups bring. */
export interface AttributeMapping {
  /** SAML attribute name or OIDC claim; default: the usual email attributes, then the NameID. */
  email?: string;
  name?: string;
  groups?: string;
  /** Roles given to a JIT-provisioned user who is in one of these groups. */
  groupRoles?: { group: string; roleIds: string[] }[];
}

export interface SamlSettings {
  idpEntityId: string;
  /** The IdP's single sign-on URL for the HTTP-Redirect binding. */
  ssoUrl: string;
  /** Pinned signing certificates, PEM; the first is the primary, the others serve rollovers. */
  certificates: string[];
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Sealed with SecretBox (context `sso.oidc.client-secret:<connection id>`); never returned. */
  clientSecretSealed: string;
  scopes: string[];
}

/**
 * An enterprise identity provider of one tenant. Users whose email domain is among the
 * connection's domains are sent to it by discovery; what it asserts signs them into this tenant
 * only.
 */
@Entity('sso_connections')
@Index('ix_sso_connections_tenant_id', ['tenantId'])
@Index('ix_sso_connections_tenant_created', ['tenantId', 'createdAt', 'id'])
export class SsoConnection {
  @UuidPrimaryColumn()
  id!: string;

  @UuidColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 8 })
  type!: SsoConnectionType;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'boolean' })
  jitProvisioning!: boolean;

  /**
   * The owner vouches that the IdP enforces MFA: a login whose signed answer shows a second
   * factor then meets the account's own MFA. Off by default: the account's MFA applies.
   */
  @Column({ type: 'boolean', default: false })
  idpEnforcesMfa!: boolean;

  @JsonColumn()
  defaultRoleIds!: string[];

  @JsonColumn({ nullable: true })
  attributeMapping!: AttributeMapping | null;

  @JsonColumn({ nullable: true })
  saml!: SamlSettings | null;

  @JsonColumn({ nullable: true })
  oidc!: OidcSettings | null;

  @OneToMany(() => SsoConnectionDomain, (domain) => domain.connection)
  domains?: SsoConnectionDomain[];

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;

  @RowVersionColumn()
  version!: number;
}
