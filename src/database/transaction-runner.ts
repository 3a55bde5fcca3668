import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs a unit of work in one transaction.
 *
 * TypeORM drives better-sqlite3 through a single shared connection, and nests a second
 * concurrent transaction as a savepoint of the first: two requests would then commit or roll
 * back each other's work. On SQLite transactions are therefore queued one at a time here. On
 * PostgreSQL each transaction has its own pooled connection and they run in parallel.
 */
@Injectable()
export class TransactionRunner {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly serialise: boolean;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.serialise = dataSource.options.type !== 'postgres';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serialise) return this.dataSource.transaction(work);
    const result = this.tail.then(() => this.dataSource.transaction(work));
    // The queue continues whether this unit succeeded or failed.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
