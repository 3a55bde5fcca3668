import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { rulesOfRole } from '../auth/principal/principal.service';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { definedKeys } from '../common/http/defined-keys';
import { type Page, type PageQueryDto, paginate } from '../common/pagination/pagination';
import { IfMatch } from '../common/http/if-match';
import { TransactionRunner } from '../database/transaction-runner';
import { User } from '../users/entities/user.entity';
import { whereAccessible } from './accessible-query';
import type { CreateRoleDto, PermissionCatalogDto, RoleDto, UpdateRoleDto } from './dto/role.dto';
import { Role } from './entities/role.entity';
import { BUILT_IN_ROLES, permissionSubjects } from './permission-catalog';
import { ACTIONS } from './permission-rule';
import { assertGrantable } from './privilege';
import { validateRules } from './rule-validation';

export function toRoleDto(role: Role): RoleDto {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    builtIn: role.builtIn,
    permissions: rulesOfRole(role),
    createdAt: role.createdAt.toISOString(),
    updatedAt: role.updatedAt.toISOString(),
    version: role.version,
  };
}

/**
 * Custom roles of a tenant. Built-in roles are listed but cannot be changed. Nobody creates,
 * changes or deletes a role with a permission they do not hold themselves, and every change
 * drops the cached permissions of the tenant's users at once (on every instance).
 */
@Injectable()
export class RolesService {
  constructor(
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    private readonly transactions: TransactionRunner,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
  ) {}

  catalog(): PermissionCatalogDto {
    return {
      actions: [...ACTIONS],
      subjects: permissionSubjects().map((subject) => ({
        name: subject.name,
        description: subject.description,
        actions: [...subject.actions],
        fields: [...subject.fields],
        ...(subject.scope ? { scope: subject.scope } : {}),
      })),
    };
  }

  async list(auth: Principal, query: PageQueryDto): Promise<Page<RoleDto>> {
    const { rows, nextCursor } = await paginate(
      whereAccessible(this.roles.queryBuilder('role'), 'role', auth.permissions, 'read', 'Role'),
      query,
    );
    return { items: rows.map(toRoleDto), nextCursor };
  }

  async get(auth: Principal, id: string): Promise<RoleDto> {
    return toRoleDto(await this.load(auth, 'read', id));
  }

  async create(auth: Principal, input: CreateRoleDto): Promise<RoleDto> {
    const { rules, errors } = validateRules(input.permissions);
    if (errors.length > 0) throw AppError.validation(errors);
    if ((BUILT_IN_ROLES as readonly string[]).includes(input.name)) {
      throw AppError.conflict('This name is reserved for a built-in role.', 'name');
    }
    auth.permissions.assert('create', 'Role', { tenantId: auth.tenant.id });
    assertGrantable(auth, rules);
    if (await this.roles.exists({ name: input.name })) {
      throw AppError.conflict('A role with this name already exists.', 'name');
    }
    const now = new Date();
    const role = this.roles.create({
      id: newId(),
      name: input.name,
      description: input.description ?? '',
      builtIn: false,
      permissions: rules,
      createdAt: now,
      updatedAt: now,
    });
    await this.roles.insert(role);
    this.audit.record({
      action: 'role.created',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'role', id: role.id },
      metadata: { name: role.name, rules: rules.length },
    });
    return toRoleDto(role);
  }

  async update(
    auth: Principal,
    id: string,
    input: UpdateRoleDto,
    ifMatch = IfMatch.ABSENT,
  ): Promise<RoleDto> {
    const role = await this.load(auth, 'update', id);
    if (role.builtIn) throw AppError.forbidden('Built-in roles cannot be changed.');
    // Changing a role means holding what it grants now, and what it will grant.
    assertGrantable(auth, role.permissions);
    const guard = ifMatch.check(role.version);
    const changes: Partial<Role> = { updatedAt: new Date() };
    if (input.permissions !== undefined) {
      const { rules, errors } = validateRules(input.permissions);
      if (errors.length > 0) throw AppError.validation(errors);
      assertGrantable(auth, rules);
      changes.permissions = rules;
    }
    if (input.description !== undefined) changes.description = input.description ?? '';
    guard.settle(await this.roles.update(guard.where({ id }), changes));
    this.bus.publish('tenant', auth.tenant.id);
    this.audit.record({
      action: 'role.updated',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'role', id },
      metadata: { fields: definedKeys(input) },
    });
    return toRoleDto({ ...role, ...changes, version: guard.next });
  }

  async remove(auth: Principal, id: string): Promise<void> {
    const role = await this.load(auth, 'delete', id);
    if (role.builtIn) throw AppError.forbidden('Built-in roles cannot be deleted.');
    assertGrantable(auth, role.permissions);
    await this.transactions.run(async (manager) => {
      // The role leaves its holders' role lists: their versions move, so a tag read before is stale.
      const holders = await this.users
        .in(manager)
        .queryBuilder('user')
        .innerJoin('user.roles', 'role', 'role.id = :id', { id })
        .select('user.id')
        .getMany();
      if (holders.length > 0) {
        const ids = holders.map((user) => user.id);
        await this.users.in(manager).update({ id: In(ids) }, { updatedAt: new Date() });
      }
      await this.roles.in(manager).delete({ id });
    });
    this.bus.publish('tenant', auth.tenant.id);
    this.audit.record({
      action: 'role.deleted',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'role', id },
      metadata: { name: role.name },
    });
  }

  /** A role of the caller's tenant the caller may act on, else 404/403. */
  private async load(
    auth: Principal,
    action: 'read' | 'update' | 'delete',
    id: string,
  ): Promise<Role> {
    const role = await this.roles.findById(id);
    if (!role) throw AppError.notFound();
    auth.permissions.assert(action, 'Role', role);
    return role;
  }
}
