import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import type { Principal } from '../../auth/principal/principal';

/** The CLS key of a tenant entered explicitly (public flows, jobs); it wins over the principal's. */
const TENANT_KEY = 'tenantId';

/**
 * The tenant the current unit of work belongs to, kept in the request's async context. An
 * authenticated request is in its principal's tenant (the guard puts the principal there); a
 * flow without one (login by slug, signup, links, SSO and social callbacks, the OAuth engine,
 * jobs) enters the tenant it has resolved with `run`. Tenant-scoped repositories read it here,
 * so no service passes a tenant id to a query.
 */
@Injectable()
export class TenantScope {
  constructor(private readonly cls: ClsService) {}

  /** The current tenant, or undefined outside any tenant scope. */
  current(): string | undefined {
    if (!this.cls.isActive()) return undefined;
    return (
      this.cls.get<string | undefined>(TENANT_KEY) ??
      this.cls.get<Principal | undefined>('principal')?.tenant.id
    );
  }

  /** The current tenant; throws outside a tenant scope (a programming error, never a 404). */
  id(): string {
    const tenantId = this.current();
    if (!tenantId) throw new Error('Tenant-scoped data accessed outside a tenant scope');
    return tenantId;
  }

  /**
   * Runs `work` in the tenant's scope: a child context, so the caller's scope is untouched when
   * it returns (a platform admin seeding a new tenant stays in its own afterwards).
   */
  run<T>(tenantId: string, work: () => T): T {
    return this.cls.run({ ifNested: 'inherit' }, () => {
      this.cls.set(TENANT_KEY, tenantId);
      return work();
    });
  }
}
