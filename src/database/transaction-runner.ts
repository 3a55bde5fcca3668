import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncResource } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';

type Work<T> = (manager: EntityManager) => Promise<T>;

interface QueuedUnit {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** Enough to amortise a commit; few enough that no caller waits long behind the others. */
const MAX_UNITS_PER_COMMIT = 32;

/**
 * Runs a unit of work in one transaction.
 *
 * TypeORM drives better-sqlite3 through a single shared connection, and nests a second
 * concurrent transaction as a savepoint of the first: two requests would then commit or roll
 * back each other's work. On SQLite units are therefore queued and run one at a time here. On
 * PostgreSQL each transaction has its own pooled connection and they run in parallel.
 *
 * On SQLite the units that arrive in the same turn of the event loop, or while a commit runs,
 * are committed together (group commit): each runs inside a savepoint of one transaction, so a
 * unit that fails rolls back only its own writes, and each caller hears its outcome only once
 * the commit is done. better-sqlite3 commits synchronously, so without waiting that one turn
 * nothing would ever queue; and a commit with its WAL write costs more than the statements of a
 * typical unit (docs/performance.md). A unit alone in its turn runs in a transaction of its own.
 */
@Injectable()
export class TransactionRunner {
  private readonly serialise: boolean;
  private readonly queue: QueuedUnit[] = [];
  private draining = false;
  // Bound where the runner is built, outside any request: the batches it runs belong to none.
  private readonly startDraining = AsyncResource.bind(() => {
    this.draining = true;
    setImmediate(() => void this.drain());
  });

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.serialise = dataSource.options.type !== 'postgres';
  }

  run<T>(work: Work<T>): Promise<T> {
    if (!this.serialise) return this.dataSource.transaction(work);
    return new Promise<T>((resolve, reject) => {
      // Run in the caller's async context, so the unit sees its own request (id, IP, tenant)
      // however the batch it runs in was started. (Not AsyncResource.bind: on Node 20 it builds
      // two deprecation wrappers a call, on every transaction.)
      const context = new AsyncResource('gatehouse.transaction');
      this.queue.push({
        work: (manager) => context.runInAsyncScope(work, null, manager),
        resolve: (value) => resolve(value as T),
        reject,
      });
      if (!this.draining) this.startDraining();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await this.commit(this.queue.splice(0, MAX_UNITS_PER_COMMIT));
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(units: QueuedUnit[]): Promise<void> {
    const [only] = units;
    if (only && units.length === 1) {
      await this.dataSource.transaction(only.work).then(only.resolve, only.reject);
      return;
    }
    const settle: Array<() => void> = [];
    try {
      await this.dataSource.transaction(async (manager) => {
        for (const unit of units) {
          await manager.query('SAVEPOINT unit');
          try {
            const value = await unit.work(manager);
            await manager.query('RELEASE unit');
            settle.push(() => unit.resolve(value));
          } catch (error) {
            await manager.query('ROLLBACK TO unit');
            await manager.query('RELEASE unit');
            settle.push(() => unit.reject(error));
          }
        }
      });
    } catch (error) {
      // The commit itself failed (or a rollback to a savepoint did): nothing of the batch holds.
      for (const unit of units) unit.reject(error);
      return;
    }
    for (const done of settle) done();
  }
}
