import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { In, IsNull } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { AuditService } from '../audit/audit.service';
import type { Principal, RoleSummary } from '../auth/principal/principal';
import { PrincipalResolver } from '../auth/principal/principal-resolver.service';
import {
  PRINCIPAL_CACHE_TTL_MS,
  PrincipalService,
  rulesOfRole,
} from '../auth/principal/principal.service';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { randomSecret, safeEqual, sha256Hex } from '../common/crypto/tokens';
import { TenantScope } from '../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { type Page, type PageQueryDto, paginate } from '../common/pagination/pagination';
import { type AppAbility, buildAbility, Permissions } from '../roles/ability.factory';
import { whereAccessible } from '../roles/accessible-query';
import { Role } from '../roles/entities/role.entity';
import type { PermissionRule } from '../roles/permission-rule';
import { assertGrantable } from '../roles/privilege';
import type { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { ApiKey } from './entities/api-key.entity';
import { boundedCache } from '../common/cache/bounded-cache';

const KEY_FORMAT = /^gat_([0-9a-f]{12})_[\w-]{43}$/;
/** lastUsedAt is a hint for humans: written at most this often per key, off the request path. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

interface CachedKey {
  key: ApiKey;
  roles: RoleSummary[];
  rules: PermissionRule[];
  /** The key's own ability, built on first use (the key's tenant never changes). */
  ability?: AppAbility;
}

/**
 * API keys: created by users, shown once, stored as SHA-256, revocable. A request with a key is
 * allowed only if both the key's roles and its creator's current permissions allow it, so a
 * creator's demotion or removal reaches every key they made within the permission cache's TTL.
 */
@Injectable()
export class ApiKeysService implements OnModuleInit {
  private readonly cache = boundedCache<string, CachedKey>(20_000, { ttl: PRINCIPAL_CACHE_TTL_MS });
  private readonly lastUsedWrites = boundedCache<string, number>(20_000);

  constructor(
    @InjectTenantRepository(ApiKey) private readonly keys: TenantScopedRepository<ApiKey>,
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
    private readonly scope: TenantScope,
    private readonly principals: PrincipalService,
    private readonly resolver: PrincipalResolver,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.resolver.useApiKeyAuthenticator((key) => this.authenticate(key));
    this.bus.on('api-key', (prefix) => this.cache.delete(prefix));
    // A role change can change what keys may do: drop the tenant's cached keys.
    this.bus.on('tenant', (tenantId) => {
      for (const [prefix, entry] of this.cache.entries()) {
        if (entry.key.tenantId === tenantId) this.cache.delete(prefix);
      }
    });
  }

  toDto(key: ApiKey, roles: readonly RoleSummary[]): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      roles: roles.map((role) => ({ id: role.id, name: role.name })),
      expiresAt: key.expiresAt?.toISOString() ?? null,
      createdAt: key.createdAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      createdById: key.createdById,
    };
  }

  async create(auth: Principal, input: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    if (auth.type !== 'user' || !auth.userId)
      throw AppError.forbidden('Only a signed-in user can create API keys.');
    auth.permissions.assert('create', 'ApiKey', {
      tenantId: auth.tenant.id,
      createdById: auth.userId,
    });
    const expiresAt = input.expiresAt !== undefined ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw AppError.validation([{ field: 'expiresAt', message: 'must be in the future' }]);
    }
    const roleIds = input.roleIds ?? auth.roles.map((role) => role.id);
    const roles = await this.rolesOfTenant(roleIds);
    // A key is never wider than the user who makes it.
    assertGrantable(auth, roles.flatMap(rulesOfRole));

    const prefix = randomBytes(6).toString('hex');
    const key = `gat_${prefix}_${randomSecret()}`;
    const row = this.keys.create({
      id: newId(),
      name: input.name,
      prefix,
      secretHash: sha256Hex(key),
      createdById: auth.userId,
      roleIds: roles.map((role) => role.id),
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
      createdAt: new Date(),
    });
    await this.keys.insert(row);
    this.audit.record({
      action: 'api_key.created',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'api_key', id: row.id },
      metadata: { name: row.name, prefix, roles: roles.map((role) => role.name) },
    });
    const dto = this.toDto(row, roles);
    return {
      id: dto.id,
      name: dto.name,
      prefix,
      key,
      roles: dto.roles,
      expiresAt: dto.expiresAt,
      createdAt: dto.createdAt,
    };
  }

  async list(auth: Principal, query: PageQueryDto): Promise<Page<ApiKeyDto>> {
    const { rows, nextCursor } = await paginate(
      whereAccessible(
        this.keys.queryBuilder('key'),
        'key',
        auth.permissions,
        'read',
        'ApiKey',
      ).andWhere('key.revokedAt IS NULL'),
      query,
    );
    const roles = await this.roles.find({
      where: { id: In([...new Set(rows.flatMap((key) => key.roleIds))]) },
    });
    const byId = new Map(roles.map((role) => [role.id, role]));
    const items = rows.map((key) =>
      this.toDto(
        key,
        key.roleIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])),
      ),
    );
    return { items, nextCursor };
  }

  async revoke(auth: Principal, id: string): Promise<void> {
    const key = await this.keys.findOne({ id, revokedAt: IsNull() });
    if (!key) throw AppError.notFound();
    auth.permissions.assert('delete', 'ApiKey', key);
    await this.keys.update({ id }, { revokedAt: new Date() });
    this.bus.publish('api-key', key.prefix);
    this.audit.record({
      action: 'api_key.revoked',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'api_key', id },
      metadata: { prefix: key.prefix },
    });
  }

  /** The principal of an `X-API-Key`; 401 `invalid_token` for a bad, expired or revoked key. */
  async authenticate(presented: string): Promise<Principal> {
    const match = KEY_FORMAT.exec(presented);
    if (!match?.[1]) throw AppError.invalidToken('The API key is not valid.');
    const entry = await this.lookup(match[1]);
    if (!entry || !safeEqual(sha256Hex(presented), entry.key.secretHash)) {
      throw AppError.invalidToken('The API key is not valid.');
    }
    const { key } = entry;
    if (
      key.revokedAt !== null ||
      (key.expiresAt !== null && key.expiresAt.getTime() <= Date.now())
    ) {
      throw AppError.invalidToken('The API key is not valid.');
    }
    const creator = await this.principals.userContext(key.createdById);
    if (!creator || creator.tenant.id !== key.tenantId)
      throw AppError.invalidToken('The API key is not valid.');
    this.principals.assertActive(creator);
    this.touch(key);
    entry.ability ??= buildAbility(entry.rules, {
      tenantId: key.tenantId,
      tenantIsRoot: creator.tenant.isRoot,
      userId: key.createdById,
      scopes: null,
    });
    return {
      type: 'api_key',
      id: key.id,
      tenant: creator.tenant,
      userId: key.createdById,
      sessionId: null,
      scopes: null,
      roles: entry.roles,
      // What the key may grant is bounded by its roles and by its creator's live rules alike.
      ruleSets: [entry.rules, creator.rules],
      permissions: new Permissions([entry.ability, ...creator.permissions.abilities]),
    };
  }

  private async lookup(prefix: string): Promise<CachedKey | null> {
    const cached = this.cache.get(prefix);
    if (cached) return cached;
    const key = await this.keys
      .unscoped('a key is found by its prefix, unique on the instance; its row names the tenant')
      .findOne({ where: { prefix } });
    if (!key) return null;
    const roles = key.roleIds.length
      ? await this.scope.run(key.tenantId, () =>
          this.roles.find({ where: { id: In(key.roleIds) } }),
        )
      : [];
    const entry: CachedKey = {
      key,
      roles: roles.map((role) => ({ id: role.id, name: role.name })),
      rules: roles.flatMap(rulesOfRole),
    };
    this.cache.set(prefix, entry);
    return entry;
  }

  private touch(key: ApiKey): void {
    const now = Date.now();
    if (now - (this.lastUsedWrites.get(key.id) ?? 0) < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWrites.set(key.id, now);
    void this.scope
      .run(key.tenantId, () => this.keys.update({ id: key.id }, { lastUsedAt: new Date(now) }))
      .catch(() => undefined);
  }

  private async rolesOfTenant(ids: readonly string[]): Promise<Role[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const roles = await this.roles.find({ where: { id: In(unique) } });
    if (roles.length !== unique.length)
      throw AppError.validation([{ field: 'roleIds', message: 'contains an unknown role' }]);
    return roles;
  }
}
