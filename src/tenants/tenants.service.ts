import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { TenantScope } from '../common/database/tenant-scope';
import { AppError } from '../common/errors/app-error';
import { definedKeys } from '../common/http/defined-keys';
import { type Page, type PageQueryDto, paginate } from '../common/pagination/pagination';
import { IfMatch } from '../common/http/if-match';
import { AppConfig } from '../config/app-config';
import { updateWhere } from '../database/raw-rows';
import { TransactionRunner } from '../database/transaction-runner';
import { createBuiltInRoles } from '../roles/built-in-roles';
import { UserDto } from '../users/dto/user.dto';
import { UserAccountsService } from '../users/user-accounts.service';
import { UserInvitations } from '../users/user-invitations';
import type {
  CreateTenantDto,
  CreatedTenantDto,
  TenantDto,
  UpdateCurrentTenantDto,
  UpdateTenantDto,
} from './dto/tenant.dto';
import { redirectEntryProblem } from './app-redirect';
import { Tenant, type TenantSettings } from './entities/tenant.entity';

/** The social providers this instance is configured with, by the names tenants use. */
export function configuredSocialProviders(config: AppConfig): string[] {
  return [
    ...(config.social.google ? ['google'] : []),
    ...(config.social.github ? ['github'] : []),
    ...config.social.oidcProviders.map((provider) => provider.name),
  ];
}

/** A tenant's redirect allowlist as stored: each entry usable, no duplicates; null clears it. */
function checkedRedirectAllowlist(entries: string[] | null): string[] | null {
  if (entries === null) return null;
  const problems = entries.flatMap((entry, index) => {
    const message = redirectEntryProblem(entry);
    return message ? [{ field: `settings.redirectAllowlist.${index}`, message }] : [];
  });
  if (problems.length > 0) throw AppError.validation(problems);
  return [...new Set(entries)];
}

/**
 * Tenants: the platform's view (every tenant, for platform admins of the root tenant) and a
 * tenant's view of itself (`/v1/tenants/current`, for its owners and admins).
 */
@Injectable()
export class TenantsService {
  constructor(
    private readonly config: AppConfig,
    private readonly accounts: UserAccountsService,
    private readonly invitations: UserInvitations,
    private readonly transactions: TransactionRunner,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
    private readonly scope: TenantScope,
    @InjectRepository(Tenant) private readonly tenants: Repository<Tenant>,
  ) {}

  toDto(tenant: Tenant): TenantDto {
    return {
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      plan: tenant.plan,
      status: tenant.status,
      settings: {
        allowSignup: tenant.isRoot ? false : tenant.settings.allowSignup,
        requireEmailVerification: tenant.settings.requireEmailVerification,
        requireMfaForAdmins: tenant.settings.requireMfaForAdmins,
        socialProviders: tenant.settings.socialProviders ?? configuredSocialProviders(this.config),
        ssoRequired: tenant.settings.ssoRequired,
        redirectAllowlist: tenant.settings.redirectAllowlist ?? null,
      },
      createdAt: tenant.createdAt.toISOString(),
      version: tenant.version,
    };
  }

  // --- the tenant itself ------------------------------------------------------------------

  async getCurrent(auth: Principal): Promise<TenantDto> {
    const tenant = await this.require(auth.tenant.id);
    auth.permissions.assert('read', 'Tenant', tenant);
    return this.toDto(tenant);
  }

  async updateCurrent(
    auth: Principal,
    input: UpdateCurrentTenantDto,
    ifMatch = IfMatch.ABSENT,
  ): Promise<TenantDto> {
    const tenant = await this.require(auth.tenant.id);
    const fields = definedKeys(input);
    if (fields.length === 0) auth.permissions.assert('update', 'Tenant', tenant);
    for (const field of fields) auth.permissions.assert('update', 'Tenant', tenant, field);
    const guard = ifMatch.check(tenant.version);
    const settings: TenantSettings = { ...tenant.settings };
    if (input.settings) {
      const { socialProviders, redirectAllowlist, ...flags } = input.settings;
      if (tenant.isRoot && flags.allowSignup === true) {
        throw AppError.validation([
          { field: 'settings.allowSignup', message: 'the root tenant never allows sign-up' },
        ]);
      }
      // null returns to the default: every configured provider, as a new tenant has.
      if (socialProviders === null) settings.socialProviders = null;
      else if (socialProviders !== undefined) {
        const configured = configuredSocialProviders(this.config);
        const unknown = socialProviders.filter((name) => !configured.includes(name));
        if (unknown.length > 0) {
          throw AppError.validation([
            { field: 'settings.socialProviders', message: `not configured: ${unknown.join(', ')}` },
          ]);
        }
        settings.socialProviders = [...new Set(socialProviders)];
      }
      if (redirectAllowlist !== undefined) {
        settings.redirectAllowlist = checkedRedirectAllowlist(redirectAllowlist);
      }
      Object.assign(settings, flags);
    }
    const changes = { name: input.name ?? tenant.name, settings, updatedAt: new Date() };
    guard.settle(await updateWhere(this.tenants, guard.where({ id: tenant.id }), changes));
    this.bus.publish('tenant', tenant.id);
    this.audit.record({
      action: 'tenant.updated',
      outcome: 'success',
      tenantId: tenant.id,
      target: { type: 'tenant', id: tenant.id },
      metadata: {
        fields: [...fields, ...definedKeys(input.settings ?? {}).map((key) => `settings.${key}`)],
      },
    });
    return this.toDto(Object.assign(tenant, changes, { version: guard.next }));
  }

  // --- the platform ---------------------------------------------------------------------------

  async list(query: PageQueryDto): Promise<Page<TenantDto>> {
    const { rows, nextCursor } = await paginate(this.tenants.createQueryBuilder('tenant'), query);
    return { items: rows.map((tenant) => this.toDto(tenant)), nextCursor };
  }

  async get(id: string): Promise<TenantDto> {
    return this.toDto(await this.require(id));
  }

  async create(auth: Principal, input: CreateTenantDto): Promise<CreatedTenantDto> {
    if (await this.tenants.exists({ where: { slug: input.slug } })) {
      throw AppError.conflict('A tenant with this slug already exists.', 'slug');
    }
    const passwordHash =
      input.owner.password !== undefined
        ? await this.accounts.hashPassword(
            input.owner.password,
            input.owner.email,
            'owner.password',
          )
        : null;
    const now = new Date();
    const tenant = Object.assign(new Tenant(), {
      id: newId(),
      slug: input.slug,
      name: input.name,
      plan: input.plan ?? 'free',
      status: 'active' as const,
      isRoot: false,
      settings: {
        allowSignup: true,
        requireEmailVerification: false,
        requireMfaForAdmins: false,
        socialProviders: null,
        ssoRequired: false,
        redirectAllowlist: null,
      },
      createdAt: now,
      updatedAt: now,
    });
    const owner = await this.transactions.run(async (manager) => {
      await manager.insert(Tenant, tenant);
      const roles = await createBuiltInRoles(manager, tenant.id, false);
      // The owner belongs to the new tenant; the caller stays in its own scope afterwards.
      return this.scope.run(tenant.id, () =>
        this.accounts.create(
          manager,
          {
            email: input.owner.email,
            name: input.owner.name ?? undefined,
            roleIds: [roles.get('owner')!.id],
          },
          passwordHash,
        ),
      );
    });
    await this.accounts.announceCreated(owner, passwordHash ? 'tenant-owner' : 'invite');
    if (!passwordHash) await this.invitations.invite(owner);
    this.audit.record({
      action: 'tenant.created',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'tenant', id: tenant.id },
      metadata: { slug: tenant.slug, plan: tenant.plan },
    });
    this.audit.record({
      action: 'user.created',
      outcome: 'success',
      tenantId: tenant.id,
      target: { type: 'user', id: owner.id },
      metadata: { roles: ['owner'], invited: passwordHash === null },
    });
    return { tenant: this.toDto(tenant), owner: UserDto.from(owner, owner.roles ?? []) };
  }

  async update(
    auth: Principal,
    id: string,
    input: UpdateTenantDto,
    ifMatch = IfMatch.ABSENT,
  ): Promise<TenantDto> {
    const tenant = await this.require(id);
    if (tenant.isRoot && input.status === 'suspended')
      throw AppError.forbidden('The root tenant cannot be suspended.');
    const guard = ifMatch.check(tenant.version);
    const changes: Partial<Tenant> = { updatedAt: new Date() };
    if (input.name !== undefined) changes.name = input.name;
    if (input.plan !== undefined) changes.plan = input.plan;
    if (input.status !== undefined) changes.status = input.status;
    guard.settle(await updateWhere(this.tenants, guard.where({ id }), changes));
    // Suspension takes effect on every instance at once: cached principals of the tenant go.
    this.bus.publish('tenant', id);
    this.audit.record({
      action: 'tenant.updated',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'tenant', id },
      metadata: { fields: definedKeys(input), ...(input.status ? { status: input.status } : {}) },
    });
    return this.toDto(Object.assign(tenant, changes, { version: guard.next }));
  }

  /** Deletes the tenant and everything it owns; its audit events stay (they have no foreign key). */
  async remove(auth: Principal, id: string): Promise<void> {
    const tenant = await this.require(id);
    if (tenant.isRoot) throw AppError.forbidden('The root tenant cannot be deleted.');
    await this.transactions.run((manager) => manager.delete(Tenant, { id }));
    this.bus.publish('tenant', id);
    this.audit.record({
      action: 'tenant.deleted',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'tenant', id },
      metadata: { slug: tenant.slug },
    });
  }

  private async require(id: string): Promise<Tenant> {
    const tenant = await this.tenants.findOne({ where: { id } });
    if (!tenant) throw AppError.notFound();
    return tenant;
  }
}
