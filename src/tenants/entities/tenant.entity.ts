import { Column, Entity, Index } from 'typeorm';
import {
  JsonColumn,
  TimestampColumn,
  UuidPrimaryColumn,
  RowVersionColumn,
} from '../../database/columns';

export const TENANT_PLANS = ['free', 'pro', 'enterprise'] as const;
export type TenantPlan = (typeof TENANT_PLANS)[number];

export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export interface TenantSettings {
  allowSignup: boolean;
  requireEmailVerification: boolean;
  requireMfaForAdmins: boolean;
  /** null: every provider configured on the instance. */
  socialProviders: string[] | null;
  ssoRequired: boolean;
  /**
   * Narrows APP_REDIRECT_ALLOWLIST for this tenant's logins (the intersection is used); null
   * or absent (tenants made before the setting): no narrowing.
   */
  redirectAllowlist?: string[] | null;
}

export const DEFAULT_TENANT_SETTINGS: Readonly<TenantSettings> = Object.freeze({
  allowSignup: true,
  requireEmailVerification: false,
  requireMfaForAdmins: false,
  socialProviders: null,
  ssoRequired: false,
  redirectAllowlist: null,
});

@Entity('tenants')
@Index('uq_tenants_slug', ['slug'], { unique: true })
@Index('ix_tenants_created', ['createdAt', 'id'])
export class Tenant {
  @UuidPrimaryColumn()
  id!: string;

  @Column({ type: 'varchar', length: 40 })
  slug!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  plan!: TenantPlan;

  @Column({ type: 'varchar', length: 16 })
  status!: TenantStatus;

  /** The platform's own tenant: the only one where `platform-admin` exists. */
  @Column({ type: 'boolean' })
  isRoot!: boolean;

  @JsonColumn()
  settings!: TenantSettings;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;

  @RowVersionColumn()
  version!: number;
}
