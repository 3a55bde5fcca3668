import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { WINSTON_MODULE_PROVIDER } from 'nest-winston';
import { ClsService } from 'nestjs-cls';
import type { EntityManager } from 'typeorm';
import { newId } from '../common/crypto/ids';
import type { Logger as WinstonLogger } from 'winston';
import { redact } from '../common/logging/redact';
import type { ClientInfo } from '../common/http/request-context';
import type { Principal } from '../auth/principal/principal';
import { TransactionRunner } from '../database/transaction-runner';
import { GENESIS_HASH, INSTANCE_CHAIN, macEvent } from './audit-chain';
import { AuditChainKeys } from './audit-chain-keys';
import { AuditEvent, type AuditActorType, type AuditOutcome } from './entities/audit-event.entity';
import { bulkInsert } from '../database/bulk-insert';
import { columnOf, placeholder, tableOf } from '../database/raw-rows';

export interface AuditRecord {
  action: string;
  outcome: AuditOutcome;
  /** The tenant the event belongs to; null for instance-level events (unknown tenant, say). */
  tenantId: string | null;
  /** Defaults to the request's principal, else `system`. */
  actor?: { type: AuditActorType; id: string | null };
  target?: { type: string; id: string | null };
  /** Never secrets: keys that look secret are blanked anyway. */
  metadata?: Record<string, unknown>;
}

/**
 * Small, frequent batches: on SQLite a batch's hashing and insert run without yielding, so a
 * large one would hold up every request that arrived meanwhile (the tail latency of writes).
 */
const FLUSH_INTERVAL_MS = 50;
const FLUSH_BATCH = 100;
/**
 * From this many unwritten events on, new requests are refused with 503 until the database
 * catches up (`refusedWhileAuditBehind`): an event is never dropped to make room.
 */
const MAX_BUFFER = 100_000;

/**
 * Records audit events. `record()` is synchronous and does no I/O: events are buffered and
 * written in batches off the request path, each tenant's rows chained by HMAC. A failed write
 * keeps the batch for the next attempt, and shutdown drains the buffer before the database
 * closes. A crash loses what is still buffered: normally the last flush interval's events, at
 * most `maxBuffer` while the database stalls, since beyond that requests are refused.
 */
@Injectable()
export class AuditService implements OnModuleInit {
  private readonly logger = new Logger('Audit');
  private buffer: AuditEvent[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private headSql: string | undefined;
  /** The buffer's limit; a property so a test can reach it without filling 100k events. */
  maxBuffer = MAX_BUFFER;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly keys: AuditChainKeys,
    private readonly cls: ClsService,
    @Inject(WINSTON_MODULE_PROVIDER) private readonly winston: WinstonLogger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Events waiting to be written (a metric, and what a test waits on). */
  get pending(): number {
    return this.buffer.length;
  }

  /** True while the buffer is at its limit: new requests are refused, no event is dropped. */
  get saturated(): boolean {
    return this.buffer.length >= this.maxBuffer;
  }

  record(input: AuditRecord): void {
    const principal = this.cls.isActive()
      ? this.cls.get<Principal | undefined>('principal')
      : undefined;
    const client = this.cls.isActive() ? this.cls.get<ClientInfo | undefined>('client') : undefined;
    const actor =
      input.actor ??
      (principal
        ? { type: principal.type, id: principal.id }
        : { type: 'system' as const, id: null });
    const event = Object.assign(new AuditEvent(), {
      id: newId(),
      chain: input.tenantId ?? INSTANCE_CHAIN,
      seq: 0,
      at: new Date(),
      tenantId: input.tenantId,
      actorType: actor.type,
      actorId: actor.id,
      action: input.action,
      targetType: input.target?.type ?? null,
      targetId: input.target?.id ?? null,
      outcome: input.outcome,
      ip: client?.ip ?? null,
      userAgent: client?.userAgent ?? null,
      requestId: client?.requestId ?? null,
      metadata: redact(input.metadata ?? {}) as object,
      prevHash: '',
      hash: '',
      keyId: null,
    });
    // The log line is built only when someone reads info lines (not on benchmark-quiet levels).
    if (this.winston.isInfoEnabled()) this.log(event);
    // Past the limit an admitted request still keeps its events: the buffer overshoots by what
    // requests already in flight record, while new ones are refused (`refusedWhileAuditBehind`).
    if (this.buffer.length === this.maxBuffer)
      this.logger.error('Audit buffer full: refusing new requests until the database catches up');
    this.buffer.push(event);
    if (this.buffer.length >= FLUSH_BATCH) void this.flush();
  }

  private log(event: AuditEvent): void {
    this.winston.info('audit', {
      context: 'Audit',
      audit: {
        id: event.id,
        at: event.at.toISOString(),
        tenantId: event.tenantId,
        actor: { type: event.actorType, id: event.actorId },
        action: event.action,
        target: { type: event.targetType, id: event.targetId },
        outcome: event.outcome,
        ip: event.ip,
        userAgent: event.userAgent,
        requestId: event.requestId,
        metadata: event.metadata,
      },
    });
  }

  /** Writes everything buffered so far. Concurrent calls share one write. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffer.length === 0) return Promise.resolve();
    this.flushing = this.writeAll().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Waits until every event recorded before the call is stored. */
  async drain(): Promise<void> {
    for (let attempt = 0; attempt < 50 && (this.buffer.length > 0 || this.flushing); attempt++) {
      await (this.flushing ?? this.flush());
      if (this.buffer.length > 0 && !this.flushing)
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * The one drain at shutdown, once nothing can record any more (the HTTP server has closed)
   * and while the database is still open: `AppModule` calls it first of the shutdown hooks.
   * Until then the timer keeps writing as usual. What still cannot be written is logged.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.drain().catch(() => undefined);
    if (this.buffer.length > 0)
      this.logger.error(`${this.buffer.length} audit events could not be written before shutdown`);
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, FLUSH_BATCH);
      const unwritten = await this.writeBatch(batch);
      if (unwritten.length > 0) {
        // Back in front, in order; the timer tries again shortly.
        this.buffer = [...unwritten, ...this.buffer];
        return;
      }
      // Let waiting requests in between batches.
      if (this.buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Writes each chain's events in one transaction; returns the events that could not be written. */
  private async writeBatch(batch: AuditEvent[]): Promise<AuditEvent[]> {
    const byChain = new Map<string, AuditEvent[]>();
    for (const event of batch) {
      const events = byChain.get(event.chain);
      if (events) events.push(event);
      else byChain.set(event.chain, [event]);
    }
    const unwritten: AuditEvent[] = [];
    for (const [chain, events] of byChain) {
      // Another instance may append to the same chain at the same moment; the unique
      // (chain, seq) index makes one of us fail, and that one re-reads the head and retries.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.transactions.run((manager) => this.appendToChain(manager, chain, events));
          break;
        } catch (error) {
          if (attempt >= 5) {
            this.logger.warn(
              `Audit write failed, will retry: ${error instanceof Error ? error.message : String(error)}`,
            );
            unwritten.push(...events);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
        }
      }
    }
    return unwritten.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * The last row of a chain, in plain SQL built once: TypeORM's `findOne` costs more than the
   * query itself, on every batch (docs/performance.md).
   */
  private chainHeadSql(manager: EntityManager): string {
    const column = (property: 'seq' | 'hash' | 'chain') => columnOf(manager, AuditEvent, property);
    return (this.headSql ??=
      `SELECT ${column('seq')} AS seq, ${column('hash')} AS hash ` +
      `FROM ${tableOf(manager, AuditEvent)} ` +
      `WHERE ${column('chain')} = ${placeholder(manager, 1)} ` +
      `ORDER BY ${column('seq')} DESC LIMIT 1`);
  }

  private async appendToChain(
    manager: EntityManager,
    chain: string,
    events: AuditEvent[],
  ): Promise<void> {
    const head: { seq: number; hash: string }[] = await manager.query(this.chainHeadSql(manager), [
      chain,
    ]);
    let seq = head[0]?.seq ?? 0;
    let prevHash = head[0]?.hash ?? GENESIS_HASH;
    const key = this.keys.current;
    // A failed attempt leaves its positions on the events; the next one assigns them afresh.
    // The first keyed row after unkeyed ones links to their head, and so vouches for them.
    for (const event of events) {
      event.seq = ++seq;
      event.prevHash = prevHash;
      event.keyId = key.id;
      event.hash = macEvent(event, key.secret);
      prevHash = event.hash;
    }
    await bulkInsert(manager, AuditEvent, events);
  }
}
