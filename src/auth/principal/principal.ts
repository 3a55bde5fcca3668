import type { TenantPlan, TenantStatus } from '../../tenants/entities/tenant.entity';
import type { Permissions } from '../../roles/ability.factory';
import type { PermissionRule } from '../../roles/permission-rule';

export interface TenantSummary {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  status: TenantStatus;
  isRoot: boolean;
}

export interface RoleSummary {
  id: string;
  name: string;
}

/**
 * The authenticated caller of one request, built by the global guard and kept in the request's
 * async context. Services take it as their first argument (`auth`).
 */
export interface Principal {
  type: 'user' | 'api_key' | 'client';
  /** The user id, the API key id, or the OAuth client id. */
  id: string;
  tenant: TenantSummary;
  /** The user acting, or the API key's creator; null for OAuth client credentials. */
  userId: string | null;
  /** The session of a user token; null otherwise. */
  sessionId: string | null;
  /** OAuth scopes when the authorization server issued the token; null for first-party tokens. */
  scopes: readonly string[] | null;
  /** The roles whose rules apply (the key's roles for an API key, the client's for a client). */
  roles: readonly RoleSummary[];
  /**
   * Stored rules, unbound (templates intact), for privilege-escalation checks: one set per
   * ability in `permissions`, and a grant must be covered by every set.
   */
  ruleSets: readonly (readonly PermissionRule[])[];
  permissions: Permissions;
}
