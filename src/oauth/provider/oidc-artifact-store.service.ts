import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, type Repository } from 'typeorm';
import { OAuthArtifact } from '../entities/oauth-artifact.entity';

/** Rows are kept this long past their expiry, so a replayed code or refresh token is still recognised. */
const KEEP_AFTER_EXPIRY_MS = 60 * 60_000;
const SWEEP_INTERVAL_MS = 5 * 60_000;

export type ArtifactPayload = Record<string, unknown>;

/** Raised when a one-time artefact was consumed by someone else first (a concurrent redemption). */
export class AlreadyConsumedError extends Error {
  constructor(
    readonly grantId: string | null,
    readonly clientId: string | null,
  ) {
    super('already consumed');
  }
}

/**
 * The storage behind oidc-provider's adapter, in Gatehouse's own database so that every
 * instance shares sessions, codes and grants. Everything is keyed by (model, id); the grant id
 * and session uid are columns because the provider looks rows up by them.
 */
@Injectable()
export class OidcArtifactStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OidcArtifactStore.name);
  private timer: NodeJS.Timeout | null = null;
  private readonly grantListeners: ((grantId: string) => void)[] = [];

  constructor(
    @InjectRepository(OAuthArtifact) private readonly artifacts: Repository<OAuthArtifact>,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.logger.warn(`Sweeping expired OAuth artefacts failed: ${String(error)}`),
      );
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Tells a listener that every artefact of a grant (or the grant itself) is gone. */
  onGrantRevoked(listener: (grantId: string) => void): void {
    this.grantListeners.push(listener);
  }

  async upsert(
    model: string,
    id: string,
    payload: ArtifactPayload,
    expiresIn: number | undefined,
  ): Promise<void> {
    const grantId = typeof payload.grantId === 'string' ? payload.grantId : null;
    const uid = typeof payload.uid === 'string' ? payload.uid : null;
    await this.artifacts.upsert(
      {
        model,
        id,
        payload: JSON.stringify(payload),
        grantId,
        uid,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        consumedAt: null,
      },
      ['model', 'id'],
    );
  }

  /**
   * The stored payload, expired or not: the provider checks expiry itself and must still see a
   * used code or refresh token to detect its replay.
   */
  async find(model: string, id: string): Promise<ArtifactPayload | undefined> {
    const row = await this.artifacts.findOne({ where: { model, id } });
    return row ? this.toPayload(row) : undefined;
  }

  async findByUid(model: string, uid: string): Promise<ArtifactPayload | undefined> {
    const row = await this.artifacts.findOne({ where: { model, uid } });
    return row ? this.toPayload(row) : undefined;
  }

  /**
   * Marks a code or refresh token used. One conditional UPDATE decides a race: of N concurrent
   * redemptions exactly one consumes it, and the others are treated as a replay.
   */
  async consume(model: string, id: string): Promise<void> {
    const result = await this.artifacts.update(
      { model, id, consumedAt: IsNull() },
      { consumedAt: new Date() },
    );
    if (result.affected !== 1) {
      const row = await this.artifacts.findOne({ where: { model, id } });
      const payload = row ? (JSON.parse(row.payload) as ArtifactPayload) : {};
      throw new AlreadyConsumedError(
        row?.grantId ?? null,
        typeof payload.clientId === 'string' ? payload.clientId : null,
      );
    }
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.artifacts.delete({ model, id });
    if (model === 'Grant') this.announceGrantRevoked(id);
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.artifacts.delete({ model, grantId });
    this.announceGrantRevoked(grantId);
  }

  /** Every artefact of a grant and the grant itself (a replayed code or refresh token). */
  async revokeGrant(grantId: string): Promise<void> {
    await this.artifacts.delete({ grantId });
    await this.artifacts.delete({ model: 'Grant', id: grantId });
    this.announceGrantRevoked(grantId);
  }

  /** Whether both a JWT access token's record and its grant are still there. */
  async accessTokenState(
    jti: string,
  ): Promise<{ grantId: string; accountId: string; clientId: string } | null> {
    const record = await this.find('AccessToken', jti);
    if (!record || typeof record.grantId !== 'string') return null;
    const grant = await this.artifacts.findOne({
      where: { model: 'Grant', id: record.grantId },
      select: { id: true, expiresAt: true },
    });
    if (!grant || (grant.expiresAt !== null && grant.expiresAt.getTime() <= Date.now())) {
      return null;
    }
    return {
      grantId: record.grantId,
      accountId: String(record.accountId),
      clientId: String(record.clientId),
    };
  }

  async sweep(): Promise<number> {
    const result = await this.artifacts.delete({
      expiresAt: LessThan(new Date(Date.now() - KEEP_AFTER_EXPIRY_MS)),
    });
    return result.affected ?? 0;
  }

  private announceGrantRevoked(grantId: string): void {
    for (const listener of this.grantListeners) listener(grantId);
  }

  private toPayload(row: OAuthArtifact): ArtifactPayload {
    const payload = JSON.parse(row.payload) as ArtifactPayload;
    if (row.consumedAt) payload.consumed = Math.floor(row.consumedAt.getTime() / 1000);
    return payload;
  }
}
