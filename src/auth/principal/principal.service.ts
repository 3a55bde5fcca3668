import { Injectable } from '@nestjs/common';
import {
  InjectTenantRepository,
  TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import type { Repository } from 'typeorm';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { AppError } from '../../common/errors/app-error';
import { buildAbility, Permissions, scopeRules } from '../../roles/ability.factory';
import { builtInRules, isBuiltInRoleName } from '../../roles/permission-catalog';
import type { PermissionRule } from '../../roles/permission-rule';
import type { Role } from '../../roles/entities/role.entity';
import type { Tenant } from '../../tenants/entities/tenant.entity';
import { User, type UserStatus } from '../../users/entities/user.entity';
import { Session } from '../entities/session.entity';
import type { AccessTokenClaims } from '../tokens/access-token-claims';
import type { Principal, RoleSummary, TenantSummary } from './principal';
import { boundedCache } from '../../common/cache/bounded-cache';

/**
 * How long an instance may act on a cached session, user or tenant before reading it again.
 * Changes are also pushed through the invalidation bus; this TTL is the bound when a message
 * is lost, and it is below the 10 s within which a revocation must take effect.
 */
export const PRINCIPAL_CACHE_TTL_MS = 5_000;

export interface UserSnapshot {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  status: UserStatus;
  emailVerified: boolean;
  mfaEnabled: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
  version: number;
}

/** A user as the request path needs it: who, in which tenant, with which rules. */
export interface UserContext {
  user: UserSnapshot;
  tenant: TenantSummary;
  roles: RoleSummary[];
  rules: PermissionRule[];
  /** Built once per cache entry, for first-party tokens (no scope limit). */
  permissions: Permissions;
}

/** What an OAuth token of a user may do: the user's rules cut down to its scopes. */
export interface ScopedRules {
  /** Unbound, for privilege-escalation checks. */
  rules: PermissionRule[];
  permissions: Permissions;
}

interface SessionState {
  userId: string;
  revoked: boolean;
  expiresAt: number;
}

export function tenantSummary(tenant: Tenant): TenantSummary {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    plan: tenant.plan,
    status: tenant.status,
    isRoot: tenant.isRoot,
  };
}

/** Stored rules of a role: built-in roles take theirs from the permission catalogue. */
export function rulesOfRole(
  role: Pick<Role, 'name' | 'builtIn' | 'permissions'>,
): PermissionRule[] {
  return role.builtIn && isBuiltInRoleName(role.name) ? builtInRules(role.name) : role.permissions;
}

/**
 * Resolves who is calling, from a verified access token, without a database round trip in the
 * common case: sessions and user contexts come from short-lived caches that the invalidation
 * bus clears on every change.
 */
@Injectable()
export class PrincipalService {
  private readonly sessions = boundedCache<string, SessionState>(100_000, {
    ttl: PRINCIPAL_CACHE_TTL_MS,
  });
  private readonly users = boundedCache<string, UserContext>(50_000, {
    ttl: PRINCIPAL_CACHE_TTL_MS,
  });
  private readonly userRepository: Repository<User>;
  private readonly sessionRepository: Repository<Session>;
  private readonly scoped = boundedCache<string, ScopedRules>(10_000, {
    ttl: PRINCIPAL_CACHE_TTL_MS,
  });

  constructor(
    @InjectTenantRepository(User) users: TenantScopedRepository<User>,
    @InjectTenantRepository(Session) sessions: TenantScopedRepository<Session>,
    bus: InvalidationBus,
  ) {
    // Resolving the principal is where the tenant comes from: the token names the user and the
    // session by their ids, and their rows name the tenant, checked against the token's.
    this.userRepository = users.unscoped('resolves the principal, the source of the tenant');
    this.sessionRepository = sessions.unscoped('resolves the principal, the source of the tenant');
    bus.on('session', (sid) => this.sessions.delete(sid));
    bus.on('user', (userId) => {
      this.users.delete(userId);
      this.scoped.clear();
    });
    bus.on('tenant', (tenantId) => {
      for (const [userId, context] of this.users.entries()) {
        if (context.tenant.id === tenantId) this.users.delete(userId);
      }
      this.scoped.clear();
    });
  }

  /**
   * The principal of a first-party access token (login, refresh, social, SSO): its session must
   * be live. 401 when the session, the user or the tenant is no longer valid.
   */
  async forUserToken(claims: AccessTokenClaims): Promise<Principal> {
    if (!claims.sid) throw AppError.invalidToken('The access token is not valid.');
    const [context, session] = await Promise.all([
      this.userContext(claims.sub),
      this.sessionState(claims.sid),
    ]);
    if (!context || context.tenant.id !== claims.tid) {
      throw AppError.invalidToken('The access token is not valid.');
    }
    if (
      !session ||
      session.userId !== claims.sub ||
      session.revoked ||
      session.expiresAt <= Date.now()
    ) {
      throw AppError.invalidToken('The session has ended.');
    }
    return this.forUser(context, { sessionId: claims.sid, scopes: null });
  }

  /**
   * A user principal once its credential has been checked by whoever issued it (a session, an
   * OAuth grant, an API key's creator). `scopes` cut the user's permissions down (OAuth).
   */
  forUser(
    context: UserContext,
    options: { sessionId: string | null; scopes: readonly string[] | null },
  ): Principal {
    this.assertActive(context);
    const { rules, permissions } =
      options.scopes === null ? context : this.scopedRules(context, options.scopes);
    return {
      type: 'user',
      id: context.user.id,
      tenant: context.tenant,
      userId: context.user.id,
      sessionId: options.sessionId,
      scopes: options.scopes,
      roles: context.roles,
      // A scoped token grants only what it may do itself, never the user's whole power.
      ruleSets: [rules],
      permissions,
    };
  }

  /** Throws 401 unless the user and its tenant may act. */
  assertActive(context: UserContext): void {
    if (context.user.status !== 'active' || context.tenant.status !== 'active') {
      throw AppError.invalidToken('The account is not active.');
    }
  }

  /** The cached context of a live (not deleted) user, or null. */
  async userContext(userId: string): Promise<UserContext | null> {
    const cached = this.users.get(userId);
    if (cached) return cached;
    const user = await this.userRepository
      .createQueryBuilder('user')
      .innerJoinAndSelect('user.tenant', 'tenant')
      .leftJoinAndSelect('user.roles', 'role')
      .where('user.id = :userId', { userId })
      .andWhere('user.deletedAt IS NULL')
      .getOne();
    if (!user?.tenant) return null;
    const roles = [...(user.roles ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    const rules = roles.flatMap(rulesOfRole);
    const tenant = tenantSummary(user.tenant);
    const context: UserContext = {
      user: {
        id: user.id,
        tenantId: user.tenantId,
        email: user.email,
        name: user.name,
        status: user.status,
        emailVerified: user.emailVerified,
        mfaEnabled: user.mfaEnabled,
        createdAt: user.createdAt,
        lastLoginAt: user.lastLoginAt,
        version: user.version,
      },
      tenant,
      roles: roles.map((role) => ({ id: role.id, name: role.name })),
      rules,
      permissions: new Permissions([
        buildAbility(rules, {
          tenantId: tenant.id,
          tenantIsRoot: tenant.isRoot,
          userId: user.id,
          scopes: null,
        }),
      ]),
    };
    this.users.set(userId, context);
    return context;
  }

  /** The user's rules cut down to what OAuth scopes allow (cached per user and scope set). */
  scopedRules(context: UserContext, scopes: readonly string[]): ScopedRules {
    const key = `${context.user.id} ${[...scopes].sort().join(' ')}`;
    let scoped = this.scoped.get(key);
    if (!scoped) {
      const rules = scopeRules(context.rules, scopes);
      scoped = {
        rules,
        permissions: new Permissions([
          buildAbility(rules, {
            tenantId: context.tenant.id,
            tenantIsRoot: context.tenant.isRoot,
            userId: context.user.id,
            scopes: null,
          }),
        ]),
      };
      this.scoped.set(key, scoped);
    }
    return scoped;
  }

  private async sessionState(sid: string): Promise<SessionState | null> {
    const cached = this.sessions.get(sid);
    if (cached) return cached;
    const session = await this.sessionRepository.findOne({
      where: { id: sid },
      select: { id: true, userId: true, revokedAt: true, expiresAt: true },
    });
    if (!session) return null;
    const state: SessionState = {
      userId: session.userId,
      revoked: session.revokedAt !== null,
      expiresAt: session.expiresAt.getTime(),
    };
    this.sessions.set(sid, state);
    return state;
  }
}
