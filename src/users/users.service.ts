import { Injectable } from '@nestjs/common';
import { In, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { rulesOfRole } from '../auth/principal/principal.service';
import { SessionService } from '../auth/tokens/session.service';
import { CredentialChanges } from '../auth/credential-changes';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { definedKeys } from '../common/http/defined-keys';
import { type Page, paginate } from '../common/pagination/pagination';
import { IfMatch } from '../common/http/if-match';
import { TransactionRunner } from '../database/transaction-runner';
import { whereAccessible } from '../roles/accessible-query';
import { USER_SUBJECT } from '../roles/core.permissions';
import { Role } from '../roles/entities/role.entity';
import { assertGrantable } from '../roles/privilege';
import type { CreateUserDto, ListUsersQueryDto, UpdateUserDto } from './dto/manage-user.dto';
import { UserDto, type VisibleUser } from './dto/user.dto';
import { User } from './entities/user.entity';
import { UserAccountsService } from './user-accounts.service';
import { UserInvitations } from './user-invitations';

/** The fields of a user as the permission catalogue names them, plus the tenant it belongs to. */
const USER_FIELDS = USER_SUBJECT.fields;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/**
 * Users of a tenant, as its admins and members see them. Every query goes through the
 * tenant-scoped repository; every object is checked against the caller's ability after it is
 * loaded, field by field where rules name fields.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
    private readonly accounts: UserAccountsService,
    private readonly invitations: UserInvitations,
    private readonly sessions: SessionService,
    private readonly transactions: TransactionRunner,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
    private readonly credentials: CredentialChanges,
  ) {}

  /** What the principal may see of a user: everything, or only the fields its rules allow. */
  view(auth: Principal, user: User): VisibleUser {
    const dto = UserDto.from(user, user.roles ?? []);
    const allowed = auth.permissions.permittedFields('read', 'User', user, USER_FIELDS);
    if (allowed.length === USER_FIELDS.length) return dto;
    // No version (so no ETag) on a partial view: it moves on every write, logins included, and
    // would show a caller the activity the field rules hide.
    const visible: VisibleUser = { id: dto.id };
    for (const field of allowed) Object.assign(visible, { [field]: dto[field as keyof UserDto] });
    return visible;
  }

  async list(auth: Principal, query: ListUsersQueryDto): Promise<Page<VisibleUser>> {
    const builder = whereAccessible(
      this.users.queryBuilder('user'),
      'user',
      auth.permissions,
      'read',
      'User',
    )
      .leftJoinAndSelect('user.roles', 'role')
      .andWhere('user.deletedAt IS NULL');
    if (query.search) {
      const pattern = `%${escapeLike(query.search.toLowerCase())}%`;
      builder.andWhere(
        "(LOWER(user.email) LIKE :pattern ESCAPE '\\' OR LOWER(user.name) LIKE :pattern ESCAPE '\\')",
        {
          pattern,
        },
      );
    }
    const { rows, nextCursor } = await paginate(builder, query);
    return { items: rows.map((user) => this.view(auth, user)), nextCursor };
  }

  async get(auth: Principal, id: string): Promise<VisibleUser> {
    const user = await this.load(id);
    auth.permissions.assert('read', 'User', user);
    return this.view(auth, user);
  }

  async create(auth: Principal, input: CreateUserDto): Promise<VisibleUser> {
    auth.permissions.assert('create', 'User', { tenantId: auth.tenant.id });
    const roles = input.roleIds?.length
      ? await this.rolesOfTenant(input.roleIds)
      : await this.roles.find({ where: { name: 'member', builtIn: true } });
    assertGrantable(auth, roles.flatMap(rulesOfRole));
    const passwordHash =
      input.password !== undefined
        ? await this.accounts.hashPassword(input.password, input.email)
        : null;
    const user = await this.transactions.run((manager) =>
      this.accounts.create(
        manager,
        {
          email: input.email,
          name: input.name ?? undefined,
          roleIds: roles.map((role) => role.id),
        },
        passwordHash,
      ),
    );
    await this.accounts.announceCreated(user, passwordHash ? 'admin' : 'invite');
    if (!passwordHash) await this.invitations.invite(user);
    this.audit.record({
      action: 'user.created',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'user', id: user.id },
      metadata: { roles: roles.map((role) => role.name), invited: passwordHash === null },
    });
    return this.view(auth, user);
  }

  async update(
    auth: Principal,
    id: string,
    input: UpdateUserDto,
    ifMatch = IfMatch.ABSENT,
  ): Promise<VisibleUser> {
    const user = await this.load(id);
    const fields = definedKeys(input);
    if (fields.length === 0) auth.permissions.assert('update', 'User', user);
    for (const field of fields) auth.permissions.assert('update', 'User', user, field);
    if (input.status !== undefined && input.status !== user.status) {
      if (user.id === auth.userId)
        throw AppError.forbidden('You cannot change the status of your own account.');
      this.assertManageable(auth, user);
    }
    const guard = ifMatch.check(user.version);
    const changes: Partial<User> = { updatedAt: new Date() };
    // null clears the name (JSON Merge Patch): stored as the empty name a user created without one has.
    if (input.name !== undefined) changes.name = input.name?.trim() ?? '';
    if (input.status !== undefined) changes.status = input.status;
    guard.settle(await this.users.update(guard.where({ id }), changes));
    if (input.status === 'disabled' && user.status !== 'disabled') {
      await this.sessions.revokeAllOfUser(id, 'user_disabled');
      await this.credentials.announce({
        tenantId: auth.tenant.id,
        userId: id,
        reason: 'user_disabled',
      });
    }
    this.bus.publish('user', id);
    this.audit.record({
      action: 'user.updated',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'user', id },
      metadata: { fields, ...(input.status !== undefined ? { status: input.status } : {}) },
    });
    return this.view(auth, Object.assign(user, changes, { version: guard.next }));
  }

  /**
   * Deleting keeps the row (the audit trail points at it) but disables the account for good,
   * revokes its sessions and frees the email address.
   */
  async remove(auth: Principal, id: string): Promise<void> {
    const user = await this.load(id);
    auth.permissions.assert('delete', 'User', user);
    if (user.id === auth.userId) throw AppError.forbidden('You cannot delete your own account.');
    this.assertManageable(auth, user);
    await this.assertNotLastOwner(user, []);
    const now = new Date();
    await this.users.update({ id }, { status: 'disabled', deletedAt: now, updatedAt: now });
    await this.sessions.revokeAllOfUser(id, 'user_deleted');
    await this.credentials.announce({
      tenantId: auth.tenant.id,
      userId: id,
      reason: 'user_deleted',
    });
    this.bus.publish('user', id);
    this.audit.record({
      action: 'user.deleted',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'user', id },
    });
  }

  /** Replaces the user's roles. The caller must hold every rule of the roles it adds or removes. */
  async setRoles(
    auth: Principal,
    id: string,
    roleIds: readonly string[],
    ifMatch = IfMatch.ABSENT,
  ): Promise<VisibleUser> {
    const user = await this.load(id);
    auth.permissions.assert('update', 'User', user, 'roles');
    this.assertManageable(auth, user);
    const roles = await this.rolesOfTenant(roleIds);
    assertGrantable(auth, roles.flatMap(rulesOfRole));
    await this.assertNotLastOwner(user, roles);
    const guard = ifMatch.check(user.version);
    const before = (user.roles ?? []).map((role) => role.name).sort();
    await this.transactions.run(async (manager) => {
      const users = this.users.in(manager);
      // The user's row first: a stale If-Match stops here, and its row lock orders concurrent
      // changes of the roles.
      guard.settle(await users.update(guard.where({ id: user.id }), { updatedAt: new Date() }));
      const relation = users.relationOf('roles', user);
      await relation.remove((user.roles ?? []).map((role) => role.id));
      await relation.add(roles.map((role) => role.id));
    });
    this.bus.publish('user', id);
    const after = roles.map((role) => role.name).sort();
    this.audit.record({
      action: 'user.roles_changed',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'user', id },
      metadata: {
        added: after.filter((name) => !before.includes(name)),
        removed: before.filter((name) => !after.includes(name)),
      },
    });
    user.roles = roles;
    user.version = guard.next;
    return this.view(auth, user);
  }

  /** A live user of the caller's tenant with its roles, or 404. */
  private async load(id: string): Promise<User> {
    const user = await this.users.findOne({ id, deletedAt: IsNull() }, { roles: true });
    if (!user) throw AppError.notFound();
    return user;
  }

  /** Roles by id, all of the caller's tenant; an unknown or foreign id is a validation error. */
  private async rolesOfTenant(ids: readonly string[]): Promise<Role[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const roles = await this.roles.find({ where: { id: In(unique) } });
    if (roles.length !== unique.length)
      throw AppError.validation([{ field: 'roleIds', message: 'contains an unknown role' }]);
    return roles;
  }

  /** Nobody disables, deletes or re-roles someone who holds permissions they do not. */
  private assertManageable(auth: Principal, user: User): void {
    assertGrantable(auth, (user.roles ?? []).flatMap(rulesOfRole));
  }

  /** A tenant keeps at least one active owner. */
  private async assertNotLastOwner(user: User, nextRoles: readonly Role[]): Promise<void> {
    const isOwner = (user.roles ?? []).some((role) => role.builtIn && role.name === 'owner');
    if (!isOwner || nextRoles.some((role) => role.builtIn && role.name === 'owner')) return;
    const owners = await this.users
      .queryBuilder('user')
      .innerJoin('user.roles', 'role', "role.name = 'owner' AND role.builtIn = :builtIn", {
        builtIn: true,
      })
      .andWhere('user.deletedAt IS NULL')
      .andWhere("user.status = 'active'")
      .andWhere('user.id != :id', { id: user.id })
      .getCount();
    if (owners === 0) throw AppError.conflict('The tenant must keep at least one active owner.');
  }
}
