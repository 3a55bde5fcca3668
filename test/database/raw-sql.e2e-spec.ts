import 'reflect-metadata';
import { type DataSource, IsNull, Not } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import { Project } from '../../src/projects/entities/project.entity';
import { Tenant } from '../../src/tenants/entities/tenant.entity';
import { newId as uuidv7 } from '../../src/common/crypto/ids';
import { bulkInsert } from '../../src/database/bulk-insert';
import {
  affectedRows,
  columnOf,
  findOneBy,
  hydrate,
  placeholder,
  plainUpdate,
  selectList,
  storedValue,
  tableOf,
  updateWhere,
} from '../../src/database/raw-rows';
import { openTestDataSource } from '../support/database';

/**
 * The plain-SQL helpers of the hot paths must store and read values exactly as TypeORM's own
 * builders do, on each engine: dates to the millisecond, nulls, JSON.
 */
describe('plain SQL over entity metadata', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await openTestDataSource());
    await dataSource.runMigrations();
  });

  afterAll(() => close?.());

  function event(seq: number, chain: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
    return Object.assign(new AuditEvent(), {
      id: uuidv7(),
      chain,
      seq,
      at: new Date(Date.UTC(2026, 10, 29, 12, 0, 0, 123 + seq)),
      tenantId: null,
      actorType: 'system',
      actorId: null,
      action: 'test.raw_sql',
      targetType: 'thing',
      targetId: `target-${seq}`,
      outcome: 'success',
      ip: null,
      userAgent: 'O\'Brien "quoted" agent',
      requestId: null,
      metadata: { nested: { list: [1, 'two', null] }, unicode: 'é✓' },
      prevHash: 'a'.repeat(64),
      hash: String(seq).repeat(64).slice(0, 64),
      keyId: 'k'.repeat(16),
      ...overrides,
    });
  }

  it('bulkInsert stores what the repository reads back, field for field', async () => {
    const chain = uuidv7();
    const rows = [event(1, chain), event(2, chain, { tenantId: uuidv7(), ip: '::1' })];
    await bulkInsert(dataSource.manager, AuditEvent, rows);
    const stored = await dataSource
      .getRepository(AuditEvent)
      .find({ where: { chain }, order: { seq: 'ASC' } });
    expect(stored).toEqual(rows);
    expect(stored[0]?.at.getTime()).toBe(rows[0]?.at.getTime());
  });

  it('selectList and hydrate read a row exactly as the repository does', async () => {
    const chain = uuidv7();
    const row = event(1, chain, { actorId: uuidv7() });
    await bulkInsert(dataSource.manager, AuditEvent, [row]);
    const manager = dataSource.manager;
    const raw: Record<string, unknown>[] = await manager.query(
      `SELECT ${selectList(manager, AuditEvent, 'a')} FROM ${tableOf(manager, AuditEvent)} a ` +
        `WHERE a.${columnOf(manager, AuditEvent, 'chain')} = ${placeholder(manager, 1)}`,
      [chain],
    );
    expect(raw).toHaveLength(1);
    const hydrated = hydrate(manager, AuditEvent, raw[0] ?? {}, 'a');
    expect(hydrated).toBeInstanceOf(AuditEvent);
    expect(hydrated).toEqual(row);
    expect(hydrated).toEqual(
      await dataSource.getRepository(AuditEvent).findOneByOrFail({ id: row.id }),
    );
  });

  it('bulkInsert of nothing writes nothing', async () => {
    const before = await dataSource.getRepository(AuditEvent).count();
    await bulkInsert(dataSource.manager, AuditEvent, []);
    expect(await dataSource.getRepository(AuditEvent).count()).toBe(before);
  });

  it('a conditional UPDATE through affectedRows changes one row once, in a transaction or not, and stores dates as TypeORM does', async () => {
    const chain = uuidv7();
    const row = event(1, chain);
    await bulkInsert(dataSource.manager, AuditEvent, [row]);
    const manager = dataSource.manager;
    const at = new Date(Date.UTC(2026, 10, 30, 8, 30, 15, 987));
    const sql =
      `UPDATE ${tableOf(manager, AuditEvent)} SET ${columnOf(manager, AuditEvent, 'at')} = ${placeholder(manager, 1)} ` +
      `WHERE ${columnOf(manager, AuditEvent, 'id')} = ${placeholder(manager, 2)} ` +
      `AND ${columnOf(manager, AuditEvent, 'at')} < ${placeholder(manager, 3)}`;
    const claim = (tx: typeof manager) =>
      affectedRows(tx, sql, [
        storedValue(tx, AuditEvent, 'at', at),
        row.id,
        storedValue(tx, AuditEvent, 'at', at),
      ]);
    expect(await dataSource.transaction(claim)).toBe(1);
    expect(await dataSource.transaction(claim)).toBe(0);
    const stored = await dataSource.getRepository(AuditEvent).findOneByOrFail({ id: row.id });
    expect(stored.at.getTime()).toBe(at.getTime());
    // Outside a transaction too, on a connection of its own.
    const later = new Date(at.getTime() + 1000);
    expect(
      await affectedRows(manager, sql, [
        storedValue(manager, AuditEvent, 'at', later),
        row.id,
        storedValue(manager, AuditEvent, 'at', later),
      ]),
    ).toBe(1);
  });

  it('updateWhere writes plain values as the repository would, and leaves the rest to it', async () => {
    const chain = uuidv7();
    const row = event(1, chain);
    await bulkInsert(dataSource.manager, AuditEvent, [row]);
    const repository = dataSource.getRepository(AuditEvent);
    const changes = {
      targetId: null,
      userAgent: 'it\'s "new"',
      metadata: { list: [1, 2], nested: { ok: true } },
      at: new Date(Date.UTC(2026, 11, 1, 0, 0, 0, 5)),
    };
    // Plain: one statement.
    expect(await updateWhere(repository, { id: row.id, chain }, changes)).toBe(1);
    expect(await updateWhere(repository, { id: row.id, chain: 'other' }, changes)).toBe(0);
    expect(await repository.findOneByOrFail({ id: row.id })).toEqual({ ...row, ...changes });
    // An operator in the condition goes through the repository, with the same answer.
    expect(
      await updateWhere(repository, { id: row.id, tenantId: IsNull() }, { outcome: 'failure' }),
    ).toBe(1);
    expect((await repository.findOneByOrFail({ id: row.id })).outcome).toBe('failure');
  });

  it('updateWhere keeps a tenant-scoped update plain: the foreign key it matches on is an id', async () => {
    const manager = dataSource.manager;
    const now = new Date(Date.UTC(2026, 10, 29, 9, 0, 0, 250));
    const tenant = await manager.save(
      Object.assign(new Tenant(), {
        id: uuidv7(),
        slug: `raw-${Date.now().toString(36)}`,
        name: 'Raw SQL',
        plan: 'free',
        status: 'active',
        isRoot: false,
        settings: {},
        createdAt: now,
        updatedAt: now,
      }),
    );
    const project = await manager.save(
      Object.assign(new Project(), {
        id: uuidv7(),
        tenantId: tenant.id,
        ownerId: uuidv7(),
        name: 'Plain',
        description: '',
        createdAt: now,
        updatedAt: now,
      }),
    );
    const changes = { description: 'changed', updatedAt: new Date(now.getTime() + 1234) };
    const scoped = { id: project.id, tenantId: tenant.id };

    // `tenantId` is also the join column of `tenant`: given an id, it is a plain column.
    const statement = plainUpdate(manager, Project, scoped, changes);
    expect(statement?.sql).toMatch(/^UPDATE "projects" SET .* WHERE "id" = .* AND "tenant_id" = /);
    // A relation object, in the values or the condition, is still the repository's business.
    expect(plainUpdate(manager, Project, { id: project.id }, { tenant })).toBeNull();
    expect(plainUpdate(manager, Project, { id: project.id, tenantId: tenant }, changes)).toBeNull();

    const repository = dataSource.getRepository(Project);
    expect(await updateWhere(repository, { id: project.id, tenantId: uuidv7() }, changes)).toBe(0);
    expect(await updateWhere(repository, scoped, changes)).toBe(1);
    expect(await repository.findOneByOrFail({ id: project.id })).toEqual({
      ...project,
      ...changes,
    });
  });

  it('a versioned entity: the plain UPDATE moves the version in the same statement, and a version in the WHERE makes it conditional', async () => {
    const manager = dataSource.manager;
    const now = new Date(Date.UTC(2026, 10, 29, 10, 0, 0, 0));
    const tenant = Object.assign(new Tenant(), {
      id: uuidv7(),
      slug: `versioned-${Date.now().toString(36)}`,
      name: 'Versioned',
      plan: 'free',
      status: 'active',
      isRoot: false,
      settings: {},
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(Tenant, tenant);
    const repository = dataSource.getRepository(Tenant);
    expect((await repository.findOneByOrFail({ id: tenant.id })).version).toBe(1);

    const statement = plainUpdate(manager, Tenant, { id: tenant.id }, { name: 'Renamed' });
    expect(statement?.sql).toMatch(/SET "name" = .*, "version" = "version" \+ 1 WHERE "id" = /);
    expect(await updateWhere(repository, { id: tenant.id }, { name: 'Renamed' })).toBe(1);
    expect(await updateWhere(repository, { id: tenant.id, version: 1 }, { name: 'Lost' })).toBe(0);
    expect(await updateWhere(repository, { id: tenant.id, version: 2 }, { name: 'Won' })).toBe(1);
    // TypeORM's own UPDATE (a condition with an operator goes to it) moves it alike.
    expect(
      await updateWhere(repository, { id: tenant.id, slug: Not(IsNull()) }, { plan: 'pro' }),
    ).toBe(1);
    expect(await repository.findOneByOrFail({ id: tenant.id })).toMatchObject({
      name: 'Won',
      plan: 'pro',
      version: 4,
    });
  });

  it('findOneBy matches equal and null columns and reads the row as the repository does', async () => {
    const chain = uuidv7();
    const orphan = event(1, chain);
    const owned = event(2, chain, { tenantId: uuidv7() });
    await bulkInsert(dataSource.manager, AuditEvent, [orphan, owned]);
    const find = findOneBy(dataSource.manager, AuditEvent, ['chain', 'seq'], ['tenantId']);
    expect(await find([chain, 1])).toEqual(
      await dataSource.getRepository(AuditEvent).findOneByOrFail({ id: orphan.id }),
    );
    // Equal columns match, but the row's tenant is not null.
    expect(await find([chain, 2])).toBeNull();
    expect(await find([uuidv7(), 1])).toBeNull();
  });
});
