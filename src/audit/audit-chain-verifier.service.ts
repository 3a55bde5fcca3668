import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MoreThan, type Repository } from 'typeorm';
import type { Principal } from '../auth/principal/principal';
import {
  TenantScopedRepository,
  InjectTenantRepository,
} from '../common/database/tenant-scoped.repository';
import { rateLimitedError } from '../common/errors/rate-limited.error';
import { CHAIN_START, type ChainPosition, ChainVerifier, macCheckpoint } from './audit-chain';
import { AuditChainKeys } from './audit-chain-keys';
import { AuditVerifyLimiter } from './audit-verify-limiter';
import type { AuditChainVerificationDto } from './dto/audit-event.dto';
import { AuditCheckpoint } from './entities/audit-checkpoint.entity';
import { AuditEvent } from './entities/audit-event.entity';

/** Rows read and hashed between two turns of the event loop (SQLite reads block it). */
const VERIFY_BATCH = 500;

/**
 * Verifies a tenant's chain incrementally: from the last point verified intact (a MACed
 * checkpoint) to the head, in bounded batches that yield the event loop between them, then
 * moves the checkpoint to the head. The row at the checkpoint must still carry the hash it had,
 * so a chain cut below it (tail truncation) or rewritten up to it is broken. A change strictly
 * below the checkpoint that leaves that row alone is found by a full walk (`full`), which any
 * auditor of the tenant may ask for under the same limit.
 */
@Injectable()
export class AuditChainVerifierService {
  private readonly logger = new Logger('AuditVerify');
  /** Chains being walked by this process: a long walk does not get a twin. */
  private readonly running = new Set<string>();

  constructor(
    @InjectTenantRepository(AuditEvent) scopedEvents: TenantScopedRepository<AuditEvent>,
    @InjectRepository(AuditCheckpoint) private readonly checkpoints: Repository<AuditCheckpoint>,
    private readonly keys: AuditChainKeys,
    private readonly limiter: AuditVerifyLimiter,
  ) {
    this.events = scopedEvents.unscoped(
      'a chain is walked by its key (a tenant, or the instance for events of none), named in every query',
    );
  }

  private readonly events: Repository<AuditEvent>;

  async verify(auth: Principal, options: { full: boolean }): Promise<AuditChainVerificationDto> {
    const chain = auth.tenant.id;
    if (this.running.has(chain)) throw rateLimitedError(this.limiter.intervalMs / 1000);
    await this.limiter.take(chain);
    this.running.add(chain);
    try {
      return await this.verifyChain(chain, options.full);
    } finally {
      this.running.delete(chain);
    }
  }

  /** `checked` counts the rows this call walked (not the pinned row it looked up). */
  async verifyChain(chain: string, full: boolean): Promise<AuditChainVerificationDto> {
    const stored = await this.checkpoints.findOneBy({ chain });
    const pinned = stored ? this.positionOf(stored) : null;
    // A checkpoint that fails its MAC was edited, or written under a key no longer configured.
    if (stored && !pinned) return { valid: false, checked: 0, firstBrokenId: null };
    if (pinned && !full) {
      const broken = await this.pinnedRowBroken(chain, pinned);
      if (broken) return broken;
    }

    const verifier = new ChainVerifier(this.keys.verifying, full || !pinned ? CHAIN_START : pinned);
    let checked = 0;
    for (;;) {
      const rows = await this.events.find({
        where: { chain, seq: MoreThan(verifier.position.seq) },
        order: { seq: 'ASC' },
        take: VERIFY_BATCH,
      });
      for (const row of rows) {
        checked += 1;
        if (!verifier.accept(row)) return { valid: false, checked, firstBrokenId: row.id };
      }
      if (rows.length < VERIFY_BATCH) break;
      await nextTurn();
    }

    if (pinned && full) {
      const broken = await this.pinnedRowBroken(chain, pinned);
      if (broken) return { ...broken, checked };
    }
    const head = verifier.position;
    // Re-MACed under the current key too, so a retired KEK leaves no checkpoint unverifiable.
    const stale = stored !== null && stored.keyId !== this.keys.current.id;
    if (head.seq > 0 && (head.seq > (pinned?.seq ?? 0) || stale))
      await this.saveCheckpoint(chain, head);
    return { valid: true, checked, firstBrokenId: null };
  }

  /** The checkpoint's position when its MAC holds under a configured key. */
  private positionOf(checkpoint: AuditCheckpoint): ChainPosition | null {
    const secret = this.keys.verifying.get(checkpoint.keyId);
    const position = { seq: checkpoint.seq, hash: checkpoint.hash, keyed: checkpoint.keyed };
    return secret && macCheckpoint(checkpoint.chain, position, secret) === checkpoint.mac
      ? position
      : null;
  }

  /** Broken when the row verified last time is gone (the chain was cut) or hashes otherwise. */
  private async pinnedRowBroken(
    chain: string,
    pinned: ChainPosition,
  ): Promise<AuditChainVerificationDto | null> {
    const row = await this.events.findOneBy({ chain, seq: pinned.seq });
    if (row && row.hash === pinned.hash) return null;
    return { valid: false, checked: 0, firstBrokenId: row?.id ?? null };
  }

  private async saveCheckpoint(chain: string, position: ChainPosition): Promise<void> {
    const key = this.keys.current;
    await this.checkpoints.save(
      Object.assign(new AuditCheckpoint(), {
        chain,
        seq: position.seq,
        hash: position.hash,
        keyed: position.keyed,
        keyId: key.id,
        mac: macCheckpoint(chain, position, key.secret),
        verifiedAt: new Date(),
      }),
    );
    // A copy outside the database: deleting the checkpoint with the rows after it (or rewriting a
    // chain that was never keyed) leaves the database consistent, but not these lines.
    this.logger.log(
      `Audit chain ${chain} verified intact up to seq ${position.seq}, hash ${position.hash}`,
    );
  }
}
