import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, type Logger } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransactionRunner } from './transaction-runner';

/** Records every statement the connection runs, to count commits. */
class StatementLog implements Logger {
  readonly statements: string[] = [];
  logQuery(query: string): void {
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  commits(): number {
    return this.statements.filter((statement) => statement === 'COMMIT').length;
  }
}

describe('TransactionRunner on SQLite', () => {
  let dataSource: DataSource;
  let runner: TransactionRunner;
  let log: StatementLog;

  beforeEach(async () => {
    log = new StatementLog();
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      logging: ['query'],
      logger: log,
    });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE items (name TEXT PRIMARY KEY)');
    runner = new TransactionRunner(dataSource);
    log.statements.length = 0;
  });
  afterEach(() => dataSource.destroy());

  const names = async (): Promise<string[]> => {
    const rows = await dataSource.query<{ name: string }[]>('SELECT name FROM items ORDER BY name');
    return rows.map((row) => row.name);
  };
  const insert = (name: string) => async (manager: DataSource['manager']) => {
    await manager.query('INSERT INTO items (name) VALUES (?)', [name]);
    return name;
  };

  it('commits the units of one turn together, each outcome to its own caller', async () => {
    const outcomes = await Promise.allSettled([
      runner.run(insert('a')),
      runner.run(async (manager) => {
        await insert('b')(manager);
        await insert('a')(manager); // a duplicate: this unit fails after a write of its own
        return 'unreachable';
      }),
      runner.run(insert('c')),
    ]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(Error) });
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 'c' });
    // The failed unit's own first write went with it; its neighbours' writes stayed.
    expect(await names()).toEqual(['a', 'c']);
    expect(log.commits()).toBe(1);
  });

  it('runs a unit alone in a transaction of its own, rolled back whole when it fails', async () => {
    await expect(
      runner.run(async (manager) => {
        await insert('x')(manager);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await names()).toEqual([]);
    expect(log.statements).not.toContain('SAVEPOINT unit');
    await runner.run(insert('y'));
    expect(await names()).toEqual(['y']);
  });

  it('bounds a commit to 32 units; the rest follow in the next', async () => {
    const many = Array.from({ length: 40 }, (_, i) => runner.run(insert(`n${i}`)));
    expect(await Promise.all(many)).toHaveLength(40);
    expect(await names()).toHaveLength(40);
    expect(log.commits()).toBe(2);
  });

  it('runs each unit in the async context of its caller, not of the batch', async () => {
    const request = new AsyncLocalStorage<string>();
    const seen = await Promise.all(
      ['first', 'second', 'third'].map((id) =>
        request.run(id, () => runner.run(() => Promise.resolve(request.getStore()))),
      ),
    );
    expect(seen).toEqual(['first', 'second', 'third']);
    expect(log.commits()).toBe(1);
  });

  it('keeps serving after a batch whose commit failed', async () => {
    // Deferred foreign keys are checked at COMMIT, so this batch fails as a whole there.
    await dataSource.query('PRAGMA foreign_keys = ON');
    await dataSource.query(
      'CREATE TABLE links (name TEXT REFERENCES items (name) DEFERRABLE INITIALLY DEFERRED)',
    );
    const outcomes = await Promise.allSettled([
      runner.run(insert('kept-only-if-committed')),
      runner.run(async (manager) => {
        await manager.query('INSERT INTO links (name) VALUES (?)', ['nowhere']);
      }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(await names()).toEqual([]);
    expect(await runner.run(insert('after'))).toBe('after');
    expect(await names()).toEqual(['after']);
  });
});
