import { Inject } from '@nestjs/common';
import type { Provider } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import type {
  DeepPartial,
  EntityManager,
  FindManyOptions,
  FindOneOptions,
  FindOptionsWhere,
  ObjectLiteral,
  RelationQueryBuilder,
  Repository,
  SelectQueryBuilder,
} from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { findOneBy, updateWhere } from '../../database/raw-rows';
import { TenantScope } from './tenant-scope';

/** A row of one tenant. `findById` and `relationOf` need an `id` too (a TOTP state has none). */
export interface TenantOwned extends ObjectLiteral {
  /** Null only for rows of no tenant (instance-level audit events), which no scope reaches. */
  tenantId: string | null;
}

type Where<T> = FindOptionsWhere<T> | FindOptionsWhere<T>[];

/**
 * The one way to reach rows a tenant owns. Every read, write and delete carries the tenant of
 * the current scope (`TenantScope`: the authenticated principal's, or the one a public flow
 * entered), never an id a service passes, so another tenant's rows are simply not found (404),
 * exactly as missing ones. ESLint refuses raw repositories of tenant-owned entities elsewhere;
 * code that truly spans tenants says so with `unscoped(reason)`.
 */
export class TenantScopedRepository<T extends TenantOwned> {
  /** See `findById`; built on first use. */
  private byTenantAndId?: (values: readonly unknown[]) => Promise<T | null>;

  constructor(
    private readonly repository: Repository<T>,
    private readonly scope: TenantScope,
  ) {}

  /** The current tenant; throws outside a tenant scope (a programming error). */
  tenantId(): string {
    return this.scope.id();
  }

  /** The same scope on a transaction's entity manager. */
  in(manager: EntityManager): TenantScopedRepository<T> {
    return new TenantScopedRepository(manager.getRepository(this.repository.target), this.scope);
  }

  /**
   * The raw repository, for code that spans tenants by design (resolving a principal from a
   * token, an OAuth client from its global id, platform administration). `reason` is for the
   * reader: every such place is one grep away.
   */
  unscoped(reason: string): Repository<T> {
    void reason;
    return this.repository;
  }

  private scoped(where: Where<T> = {}): Where<T> {
    const tenantId = this.tenantId();
    return Array.isArray(where)
      ? where.map((branch) => ({ ...branch, tenantId }))
      : { ...where, tenantId };
  }

  find(options: Omit<FindManyOptions<T>, 'where'> & { where?: Where<T> } = {}): Promise<T[]> {
    return this.repository.find({ ...options, where: this.scoped(options.where) });
  }

  findOne(
    where: Where<T>,
    relations?: FindManyOptions<T>['relations'],
    options: Omit<FindOneOptions<T>, 'where' | 'relations'> = {},
  ): Promise<T | null> {
    return this.repository.findOne({ ...options, where: this.scoped(where), relations });
  }

  /**
   * Without relations, one statement built once from the entity's metadata: every protected
   * write loads its object first, and the query builder's work for that lookup costs more than
   * the database's (docs/performance.md).
   */
  findById(id: string, relations?: FindManyOptions<T>['relations']): Promise<T | null> {
    if (relations) return this.findOne({ id } as unknown as FindOptionsWhere<T>, relations);
    this.byTenantAndId ??= findOneBy<T>(this.repository.manager, this.repository.target, [
      'tenantId',
      'id',
    ]);
    return this.byTenantAndId([this.tenantId(), id]);
  }

  exists(where: Where<T>): Promise<boolean> {
    return this.repository.exists({ where: this.scoped(where) });
  }

  count(where: Where<T> = {}): Promise<number> {
    return this.repository.count({ where: this.scoped(where) });
  }

  /** A new entity of the current tenant (not saved). */
  create(values: DeepPartial<T>): T {
    return this.repository.create({ ...values, tenantId: this.tenantId() } as DeepPartial<T>);
  }

  /** Inserts rows of the current tenant; a row already naming another tenant is refused. */
  async insert(rows: T | T[]): Promise<void> {
    await this.repository.insert(this.owned(rows));
  }

  /** Saves (inserts or updates) rows of the current tenant, as `Repository.save`. */
  save(row: T): Promise<T> {
    return this.repository.save(this.owned([row])[0]);
  }

  update(where: FindOptionsWhere<T>, values: QueryDeepPartialEntity<T>): Promise<number> {
    return updateWhere(this.repository, this.scoped(where) as FindOptionsWhere<T>, values);
  }

  async delete(where: FindOptionsWhere<T>): Promise<number> {
    const result = await this.repository.delete(this.scoped(where));
    return result.affected ?? 0;
  }

  /** A query builder already restricted to the current tenant. */
  queryBuilder(alias: string): SelectQueryBuilder<T> {
    return this.repository
      .createQueryBuilder(alias)
      .where(`${alias}.tenantId = :scopeTenantId`, { scopeTenantId: this.tenantId() });
  }

  /**
   * The relation of one object (`add`, `remove`): its id must come from a lookup in this scope,
   * which is what puts the object in the tenant.
   */
  relationOf(property: string, loaded: T): RelationQueryBuilder<T> {
    if (loaded.tenantId !== this.tenantId()) throw new Error('Object of another tenant');
    return this.repository.createQueryBuilder().relation(property).of(loaded.id);
  }

  private owned(rows: T | T[]): T[] {
    const tenantId = this.tenantId();
    const list = Array.isArray(rows) ? rows : [rows];
    for (const row of list) {
      if (row.tenantId === undefined) Object.assign(row, { tenantId });
      else if (row.tenantId !== tenantId) throw new Error('Row of another tenant written in scope');
    }
    return list;
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
    inject: [getRepositoryToken(entity), TenantScope],
    useFactory: (repository: Repository<TenantOwned>, scope: TenantScope) =>
      new TenantScopedRepository(repository, scope),
  };
}

/** One provider per entity, for a module's `providers`. */
export function provideTenantRepositories(...entities: EntityClass[]): Provider[] {
  return entities.map(provideTenantRepository);
}
