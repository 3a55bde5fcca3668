import { Inject } from '@nestjs/common';
import type { Provider } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import { ClsService } from 'nestjs-cls';
import type {
  DeepPartial,
  FindManyOptions,
  FindOptionsWhere,
  ObjectLiteral,
  Repository,
  SelectQueryBuilder,
} from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Principal } from '../../auth/principal/principal';
import { findOneBy, updateWhere } from '../../database/raw-rows';

interface TenantOwned extends ObjectLiteral {
  id: string;
  tenantId: string;
}

/**
 * A repository that cannot forget the tenant. Every read, update and delete carries the tenant
 * id of the authenticated caller, taken from the request's async context (nestjs-cls) — never
 * from the client, and never from a parameter a service could get wrong. Objects of another
 * tenant are therefore simply not found (404), exactly as missing ones.
 */
export class TenantScopedRepository<T extends TenantOwned> {
  /** See `findById`. */
  private readonly byTenantAndId: (values: readonly unknown[]) => Promise<T | null>;

  constructor(
    readonly raw: Repository<T>,
    private readonly cls: ClsService,
  ) {
    this.byTenantAndId = findOneBy<T>(raw.manager, raw.target, ['tenantId', 'id']);
  }

  /** The caller's tenant; throws if used outside an authenticated request (a programming error). */
  tenantId(): string {
    const principal = this.cls.isActive()
      ? this.cls.get<Principal | undefined>('principal')
      : undefined;
    if (!principal)
      throw new Error('Tenant-scoped data accessed without an authenticated principal');
    return principal.tenant.id;
  }

  private scoped(where: FindOptionsWhere<T> = {}): FindOptionsWhere<T> {
    return { ...where, tenantId: this.tenantId() };
  }

  find(
    options: Omit<FindManyOptions<T>, 'where'> & { where?: FindOptionsWhere<T> } = {},
  ): Promise<T[]> {
    return this.raw.find({ ...options, where: this.scoped(options.where) });
  }

  findOne(
    where: FindOptionsWhere<T>,
    relations?: FindManyOptions<T>['relations'],
  ): Promise<T | null> {
    return this.raw.findOne({ where: this.scoped(where), relations });
  }

  /**
   * Without relations, one statement built once from the entity's metadata: every protected
   * write loads its object first, and the query builder's work for that lookup costs more than
   * the database's (docs/performance.md).
   */
  findById(id: string, relations?: FindManyOptions<T>['relations']): Promise<T | null> {
    if (relations) return this.findOne({ id } as FindOptionsWhere<T>, relations);
    return this.byTenantAndId([this.tenantId(), id]);
  }

  exists(where: FindOptionsWhere<T>): Promise<boolean> {
    return this.raw.exists({ where: this.scoped(where) });
  }

  count(where: FindOptionsWhere<T> = {}): Promise<number> {
    return this.raw.count({ where: this.scoped(where) });
  }

  /** A new entity of the caller's tenant (not saved). */
  create(values: DeepPartial<T>): T {
    return this.raw.create({ ...values, tenantId: this.tenantId() } as DeepPartial<T>);
  }

  update(where: FindOptionsWhere<T>, values: QueryDeepPartialEntity<T>): Promise<number> {
    return updateWhere(this.raw, this.scoped(where), values);
  }

  async delete(where: FindOptionsWhere<T>): Promise<number> {
    const result = await this.raw.delete(this.scoped(where));
    return result.affected ?? 0;
  }

  /** A query builder already restricted to the caller's tenant. */
  queryBuilder(alias: string): SelectQueryBuilder<T> {
    return this.raw
      .createQueryBuilder(alias)
      .where(`${alias}.tenantId = :scopeTenantId`, { scopeTenantId: this.tenantId() });
  }
}

type EntityClass = abstract new () => ObjectLiteral;

function tokenOf(entity: EntityClass): string {
  return `TenantScopedRepository<${entity.name}>`;
}

export function InjectTenantRepository(entity: EntityClass): ParameterDecorator {
  return Inject(tokenOf(entity));
}

/** Provide with `TypeOrmModule.forFeature([Entity])` in the same module. */
export function provideTenantRepository(entity: EntityClass): Provider {
  return {
    provide: tokenOf(entity),
    inject: [getRepositoryToken(entity), ClsService],
    useFactory: (repository: Repository<TenantOwned>, cls: ClsService) =>
      new TenantScopedRepository(repository, cls),
  };
}
