import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager, In, IsNull } from 'typeorm';
import { findOneBy } from '../database/raw-rows';
import { newId } from '../common/crypto/ids';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { passwordProblem } from '../auth/passwords/password-policy';
import { PasswordHasher } from '../auth/passwords/password-hasher.service';
import { AppError } from '../common/errors/app-error';
import { Role } from '../roles/entities/role.entity';
import { User } from './entities/user.entity';

/** A new account of the current tenant scope. */
export interface NewAccount {
  email: string;
  name?: string;
  /** Omitted for invited users and those who sign in only through a provider. */
  password?: string;
  emailVerified?: boolean;
  /** Role ids of the tenant; checked to belong to it. */
  roleIds?: readonly string[];
  /** Or built-in role names, resolved in the tenant. */
  roleNames?: readonly string[];
}

/** Where a new account came from. */
export type AccountSource =
  'register' | 'admin' | 'invite' | 'tenant-owner' | 'social' | 'sso' | 'bootstrap';
export type AccountCreatedListener = (user: User, source: AccountSource) => Promise<void> | void;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creating accounts, whichever way they come (registration, an admin, an invite, a provider
 * login, a new tenant's owner): one place enforces the password policy, hashes, checks that
 * the email is free in the tenant, and attaches the roles.
 */
@Injectable()
export class UserAccountsService {
  private readonly logger = new Logger(UserAccountsService.name);
  private readonly createdListeners: AccountCreatedListener[] = [];

  /** Every login's first query, as plain SQL built once (the query builder cost more than it). */
  private readonly liveByEmail: (values: readonly unknown[]) => Promise<User | null>;

  constructor(
    private readonly hasher: PasswordHasher,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
  ) {
    // Fed the scope's tenant on every call, as the scoped repository's own lookups are.
    const raw = users.unscoped('a statement built once; findForLogin binds the scope tenant');
    this.liveByEmail = findOneBy(raw.manager, User, ['tenantId', 'email'], ['deletedAt']);
  }

  /** Validates and hashes a password for an account; throws 400 `validation_failed`. */
  async hashPassword(password: string, email: string, field = 'password'): Promise<string> {
    const problem = passwordProblem(password, email);
    if (problem)
      throw AppError.validation([{ field, message: problem }], 'The password is not acceptable.');
    return this.hasher.hash(password);
  }

  /**
   * Creates the account inside the caller's transaction. The password is hashed before, so no
   * transaction is held open across argon2.
   */
  async create(
    manager: EntityManager,
    account: NewAccount,
    passwordHash: string | null,
  ): Promise<User> {
    const users = this.users.in(manager);
    const roleRows = this.roles.in(manager);
    const email = normaliseEmail(account.email);
    const taken = await users.exists({ email, deletedAt: IsNull() });
    if (taken) throw AppError.conflict('An account with this email already exists.', 'email');

    const roles: Role[] = [];
    if (account.roleIds?.length) {
      const found = await roleRows.find({ where: { id: In([...account.roleIds]) } });
      if (found.length !== new Set(account.roleIds).size) {
        throw AppError.validation([{ field: 'roleIds', message: 'contains an unknown role' }]);
      }
      roles.push(...found);
    }
    if (account.roleNames?.length) {
      roles.push(...(await roleRows.find({ where: { name: In([...account.roleNames]) } })));
    }

    const now = new Date();
    const user = users.create({
      id: newId(),
      email,
      name: account.name?.trim() ?? '',
      passwordHash,
      status: 'active' as const,
      emailVerified: account.emailVerified ?? false,
      mfaEnabled: false,
      mfaSecret: null,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      deletedAt: null,
    });
    await users.insert(user);
    if (roles.length > 0) {
      await users.relationOf('roles', user).add(roles.map((role) => role.id));
    }
    user.roles = roles;
    return user;
  }

  /**
   * Lets a module react to new accounts (the lifecycle module mails a verification link).
   * Registered at start, from `onModuleInit`.
   */
  onCreated(listener: AccountCreatedListener): void {
    this.createdListeners.push(listener);
  }

  /**
   * Tells the listeners about an account, once its transaction has committed. A listener's
   * failure is logged, never thrown: the account exists either way.
   */
  async announceCreated(user: User, source: AccountSource): Promise<void> {
    for (const listener of this.createdListeners) {
      try {
        await listener(user, source);
      } catch (error) {
        this.logger.error(
          `Account-created listener failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /** The live account with this email in the scope's tenant, with its password hash, or null. */
  findForLogin(email: string): Promise<User | null> {
    return this.liveByEmail([this.users.tenantId(), normaliseEmail(email)]);
  }
}
