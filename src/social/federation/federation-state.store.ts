import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type Repository } from 'typeorm';
import { newId } from '../../common/crypto/ids';
import { randomSecret, sha256Hex } from '../../common/crypto/tokens';
import { SecretBox } from '../../common/crypto/secret-box';
import { FederationState } from '../entities/federation-state.entity';

/** A login must come back from its provider within this time. */
export const FEDERATION_STATE_TTL_MS = 10 * 60_000;
const PURGE_INTERVAL_MS = 60_000;

/**
 * Server-side storage of logins in flight at external providers (social, SSO). `create()`
 * keeps the flow's data and answers a fresh 256-bit `state` for the authorization request;
 * `consume()` gives the data back once. The database is the store on purpose: it is shared by
 * every instance, so a callback may land anywhere, and Redis (optional, failing open to
 * process memory) could not promise that. Only the state's SHA-256 is stored, the data is
 * sealed (AES-256-GCM), and a row is deleted as it is read: exactly one of N concurrent or
 * replayed callbacks gets it.
 */
@Injectable()
export class FederationStateStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(FederationStateStore.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectRepository(FederationState) private readonly states: Repository<FederationState>,
    private readonly box: SecretBox,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.purgeExpired(), PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Keeps `data` for one flow of `purpose`; answers the state to send to the provider. */
  async create(purpose: string, data: unknown, ttlMs = FEDERATION_STATE_TTL_MS): Promise<string> {
    const state = randomSecret();
    const stateHash = sha256Hex(state);
    const now = new Date();
    await this.states.insert({
      id: newId(),
      stateHash,
      purpose,
      sealedData: this.box.seal(JSON.stringify(data), context(purpose, stateHash)),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlMs),
    });
    return state;
  }

  /**
   * The data of a live state of `purpose`, once; null for an unknown, expired, used or
   * foreign state. The caller checks the shape of what it stored.
   */
  async consume(purpose: string, state: string): Promise<unknown> {
    const stateHash = sha256Hex(state);
    const row = await this.states.findOne({ where: { stateHash } });
    if (!row) return null;
    const deleted = await this.states.delete({ id: row.id });
    if (deleted.affected !== 1) return null;
    if (row.purpose !== purpose || row.expiresAt.getTime() <= Date.now()) return null;
    try {
      return JSON.parse(this.box.open(row.sealedData, context(purpose, stateHash))) as unknown;
    } catch {
      this.logger.warn('A federation state could not be opened; refused');
      return null;
    }
  }

  /** Drops abandoned flows. Every instance runs it; deleting twice is harmless. */
  async purgeExpired(): Promise<number> {
    try {
      const result = await this.states.delete({ expiresAt: LessThan(new Date()) });
      return result.affected ?? 0;
    } catch (error) {
      this.logger.debug(`Purging expired federation states failed: ${String(error)}`);
      return 0;
    }
  }
}

function context(purpose: string, stateHash: string): string {
  return `federation-state:${purpose}:${stateHash}`;
}
