import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  InjectTenantRepository,
  TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { IsNull, LessThan, Not } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { SecretBox } from '../common/crypto/secret-box';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { isUniqueViolation } from '../common/errors/error-mapping';
import { IdempotencyKey } from './entities/idempotency-key.entity';

/** How long a key holds its first answer. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60_000;
/** How long a one-time secret in that answer is kept (sealed) and replayed. */
export const SECRET_REPLAY_MS = 10 * 60_000;
/**
 * A key still "in progress" after this long belongs to a request that died with its instance:
 * a retry may take it over rather than be refused for a day.
 */
export const IN_PROGRESS_LEASE_MS = 60_000;
const PURGE_EVERY_MS = 60_000;

/** Who sent the key, and where: a key means something only for one caller on one route. */
export interface IdempotencyScope {
  tenantId: string;
  principalType: string;
  principalId: string;
  route: string;
  idempotencyKey: string;
}

/** An answer as the route gave it. `body` is undefined for an answer without one. */
export interface FirstAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Top-level fields of `body` that hold a secret shown once. */
  secretFields: readonly string[];
}

/** A stored answer to give again; `withheld` names the secret fields left out of it. */
export interface Replay {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  withheld: string[];
}

export type Claim = { kind: 'first'; id: string } | { kind: 'replay'; answer: Replay };

/** The purpose a sealed answer is bound to: its own row. */
export function sealedAnswerContext(id: string): string {
  return `idempotency-answer:${id}`;
}

/**
 * The database side of `Idempotency-Key`. The database is the one source of truth, so the rule
 * holds across instances: a key is claimed by inserting its row, and the unique index lets one
 * request win; a later one with the same key finds the row and gets its answer (or 409 while
 * it runs, or 422 for another request).
 */
@Injectable()
export class IdempotencyKeyStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyKeyStore.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectTenantRepository(IdempotencyKey)
    private readonly keys: TenantScopedRepository<IdempotencyKey>,
    private readonly box: SecretBox,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.purgeExpired(), PURGE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Claims the key for this request, or answers what an earlier request under it got. */
  async claim(scope: IdempotencyScope, requestHash: string): Promise<Claim> {
    // Twice at most: a second insert follows only the removal of an expired or abandoned row.
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = new Date();
      const id = newId();
      try {
        await this.keys.insert({
          id,
          ...scope,
          requestHash,
          responseStatus: null,
          responseHeaders: null,
          responseBody: null,
          secretFields: null,
          sealedResponse: null,
          createdAt: now,
        });
        return { kind: 'first', id };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const row = await this.keys.findOne({ ...scope });
      if (!row) continue;
      const age = now.getTime() - row.createdAt.getTime();
      if (
        age >= IDEMPOTENCY_KEY_TTL_MS ||
        (row.responseStatus === null && age >= IN_PROGRESS_LEASE_MS)
      ) {
        await this.keys.delete({ id: row.id });
        continue;
      }
      if (row.requestHash !== requestHash) {
        throw new AppError(422, ErrorCode.IdempotencyKeyReused, {
          detail: 'This Idempotency-Key was used for another request. Use a new key.',
        });
      }
      if (row.responseStatus === null) throw inProgress();
      return { kind: 'replay', answer: this.replayOf(row, age) };
    }
    throw inProgress();
  }

  /** Keeps the answer of the request that claimed the key. */
  async complete(id: string, answer: FirstAnswer): Promise<void> {
    const json = answer.body === undefined ? null : JSON.stringify(answer.body);
    const body: unknown = json === null ? null : JSON.parse(json);
    const secrets =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? answer.secretFields.filter((field) => Object.hasOwn(body, field))
        : [];
    let stored = json;
    if (secrets.length > 0) {
      const redacted = { ...(body as Record<string, unknown>) };
      for (const field of secrets) delete redacted[field];
      stored = JSON.stringify(redacted);
    }
    await this.keys.update(
      { id, responseStatus: IsNull() },
      {
        responseStatus: answer.status,
        responseHeaders: answer.headers,
        responseBody: stored,
        secretFields: secrets.length > 0 ? secrets : null,
        sealedResponse:
          secrets.length > 0 && json !== null ? this.box.seal(json, sealedAnswerContext(id)) : null,
      },
    );
  }

  /** Frees the key of a request that failed, so that a retry runs again. */
  async release(id: string): Promise<void> {
    await this.keys.delete({ id, responseStatus: IsNull() });
  }

  /**
   * Drops keys past their day and erases sealed answers past their 10 minutes. Every instance
   * runs it each minute (doing it twice is harmless); replays check the age themselves, so
   * nothing depends on when it runs.
   */
  async purgeExpired(now = new Date()): Promise<void> {
    const everyTenant = this.keys.unscoped('the purge runs on a timer, for every tenant at once');
    try {
      await everyTenant.delete({
        createdAt: LessThan(new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS)),
      });
      await everyTenant.update(
        {
          sealedResponse: Not(IsNull()),
          createdAt: LessThan(new Date(now.getTime() - SECRET_REPLAY_MS)),
        },
        { sealedResponse: null },
      );
    } catch (error) {
      this.logger.debug(`Purging expired idempotency keys failed: ${String(error)}`);
    }
  }

  private replayOf(row: IdempotencyKey, age: number): Replay {
    const answer = {
      status: row.responseStatus ?? 200,
      headers: row.responseHeaders ?? {},
    };
    if (row.sealedResponse !== null && age < SECRET_REPLAY_MS) {
      try {
        const json = this.box.open(row.sealedResponse, sealedAnswerContext(row.id));
        return { ...answer, body: JSON.parse(json) as unknown, withheld: [] };
      } catch {
        // Sealed under a key-encryption key no longer configured: the secret is gone.
        this.logger.warn('A sealed idempotent answer could not be opened; its secret is withheld');
      }
    }
    return {
      ...answer,
      body: row.responseBody === null ? undefined : (JSON.parse(row.responseBody) as unknown),
      withheld: row.secretFields ?? [],
    };
  }
}

function inProgress(): AppError {
  return new AppError(409, ErrorCode.Conflict, {
    detail: 'A request with this Idempotency-Key is still being processed. Retry shortly.',
    headers: { 'Retry-After': '1' },
  });
}
