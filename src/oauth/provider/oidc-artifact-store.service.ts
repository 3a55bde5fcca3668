import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, LessThan, type Repository } from 'typeorm';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { OAuthArtifact } from '../entities/oauth-artifact.entity';
import {
  type ArtifactPayload,
  openPayload,
  sealPayload,
  storedId,
  storedUid,
} from './artifact-keys';
import { type PageQueryDto, paginate } from '../../common/pagination/pagination';

/** Rows are kept this long past their expiry, so a replayed code or refresh token is still recognised. */
const KEEP_AFTER_EXPIRY_MS = 60 * 60_000;
const SWEEP_INTERVAL_MS = 5 * 60_000;

/** Raised when a one-time artefact was consumed by someone else first (a concurrent redemption). */
export class AlreadyConsumedError extends Error {
  constructor(
    readonly grantId: string | null,
    readonly clientId: string | null,
  ) {
    super('already consumed');
  }
}

/** What a grant holds: the user, the client and what the user let it do. */
export interface StoredGrant {
  id: string;
  accountId: string;
  clientId: string;
  scopes: string[];
  createdAt: Date;
}

/** The models that belong to one user and one client through a grant. */
const GRANT_MODELS = ['Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode'];

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The storage behind oidc-provider's adapter, in Gatehouse's own database so that every
 * instance shares sessions, codes and grants. Everything is keyed by (model, sha256(id)) (see
 * `storedId`: a database read yields no usable token, code or cookie); the grant id, session
 * uid, account and client are columns because rows are looked up by them.
 */
@Injectable()
export class OidcArtifactStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OidcArtifactStore.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectRepository(OAuthArtifact) private readonly artifacts: Repository<OAuthArtifact>,
    private readonly bus: InvalidationBus,
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

  async upsert(
    model: string,
    id: string,
    payload: ArtifactPayload,
    expiresIn: number | undefined,
  ): Promise<void> {
    await this.artifacts.upsert(
      {
        model,
        id: storedId(model, id),
        payload: JSON.stringify(sealPayload(model, id, payload)),
        grantId: text(payload.grantId),
        uid: storedUid(text(payload.uid)),
        accountId: text(payload.accountId),
        clientId: text(payload.clientId),
        issuedAt: typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : new Date(),
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
    const row = await this.artifacts.findOne({ where: { model, id: storedId(model, id) } });
    return row ? this.toPayload(row, id) : undefined;
  }

  async findByUid(model: string, uid: string): Promise<ArtifactPayload | undefined> {
    const row = await this.artifacts.findOne({ where: { model, uid: storedUid(uid) ?? '' } });
    return row ? this.toPayload(row, null) : undefined;
  }

  /**
   * Marks a code or refresh token used. One conditional UPDATE decides a race: of N concurrent
   * redemptions exactly one consumes it, and the others are treated as a replay.
   */
  async consume(model: string, rawId: string): Promise<void> {
    const id = storedId(model, rawId);
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
    await this.artifacts.delete({ model, id: storedId(model, id) });
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

  /** One page of a user's live grants, by `(issuedAt, id)`: newest first unless asked otherwise. */
  async grantsOfAccount(
    accountId: string,
    query: PageQueryDto,
  ): Promise<{ grants: StoredGrant[]; nextCursor: string | null }> {
    const builder = this.artifacts
      .createQueryBuilder('a')
      .where('a.accountId = :accountId', { accountId })
      .andWhere('a.model = :model', { model: 'Grant' })
      .andWhere('(a.expiresAt IS NULL OR a.expiresAt > :now)', { now: new Date() });
    const { rows, nextCursor } = await paginate(builder, query, {
      key: 'issuedAt',
      defaultOrder: 'desc',
    });
    return { grants: rows.map((row) => this.toGrant(row)), nextCursor };
  }

  async findGrant(id: string): Promise<StoredGrant | null> {
    const row = await this.artifacts.findOne({ where: { model: 'Grant', id } });
    if (!row || (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now())) return null;
    return this.toGrant(row);
  }

  /** Every grant (live or not) of a user, or of a client. */
  async grantsOf(owner: { accountId: string } | { clientId: string }): Promise<StoredGrant[]> {
    const rows = await this.artifacts.find({ where: { ...owner, model: 'Grant' } });
    return rows.map((row) => this.toGrant(row));
  }

  /** When each grant last issued a token (a code redeemed, a refresh), by grant id. */
  async lastIssued(grantIds: readonly string[]): Promise<Map<string, Date>> {
    if (grantIds.length === 0) return new Map();
    const rows: { grantId: string; last: unknown }[] = await this.artifacts
      .createQueryBuilder('a')
      .select('a.grantId', 'grantId')
      .addSelect('MAX(a.issuedAt)', 'last')
      .where('a.grantId IN (:...grantIds)', { grantIds })
      .andWhere('a.model IN (:...models)', { models: ['AccessToken', 'RefreshToken'] })
      .groupBy('a.grantId')
      .getRawMany();
    const driver = this.artifacts.manager.connection.driver;
    const column = this.artifacts.metadata.findColumnWithPropertyName('issuedAt');
    const last = new Map<string, Date>();
    for (const row of rows) {
      if (row.last === null || !column) continue;
      // A raw MAX() comes back as the engine stores it (UTC text on SQLite).
      last.set(row.grantId, driver.prepareHydratedValue(row.last, column) as Date);
    }
    return last;
  }

  /**
   * Deletes grants and everything issued under them, and tells every instance, so their
   * access tokens are refused at once here and within the cache TTL elsewhere. The grant rows
   * go first: a token minted concurrently then fails its grant check.
   */
  async deleteGrants(grantIds: readonly string[]): Promise<void> {
    if (grantIds.length === 0) return;
    await this.artifacts.delete({ model: 'Grant', id: In([...grantIds]) });
    await this.artifacts.delete({ grantId: In([...grantIds]) });
    for (const grantId of grantIds) this.bus.publish('oauth-grant', grantId);
  }

  /**
   * A user's sign-ins at the authorization server (its browser sessions) and any token or code
   * of theirs outside a known grant: after a credential change the user must sign in again.
   */
  async deleteAccountArtifacts(accountId: string): Promise<void> {
    await this.artifacts.delete({ accountId, model: In(['Session', ...GRANT_MODELS]) });
  }

  async sweep(): Promise<number> {
    const result = await this.artifacts.delete({
      expiresAt: LessThan(new Date(Date.now() - KEEP_AFTER_EXPIRY_MS)),
    });
    return result.affected ?? 0;
  }

  private announceGrantRevoked(grantId: string): void {
    this.bus.publish('oauth-grant', grantId);
  }

  private toGrant(row: OAuthArtifact): StoredGrant {
    const payload = JSON.parse(row.payload) as ArtifactPayload;
    const scopes = new Set<string>();
    const add = (value: unknown) => {
      if (typeof value === 'string')
        for (const scope of value.split(' ')) if (scope) scopes.add(scope);
    };
    add((payload.openid as { scope?: unknown } | undefined)?.scope);
    for (const resource of Object.values((payload.resources ?? {}) as Record<string, unknown>)) {
      add(resource);
    }
    return {
      id: row.id,
      accountId: row.accountId ?? text(payload.accountId) ?? '',
      clientId: row.clientId ?? text(payload.clientId) ?? '',
      scopes: [...scopes].sort(),
      createdAt: row.issuedAt ?? new Date(0),
    };
  }

  private toPayload(row: OAuthArtifact, id: string | null): ArtifactPayload {
    const payload = openPayload(row.model, id, JSON.parse(row.payload) as ArtifactPayload);
    if (row.consumedAt) payload.consumed = Math.floor(row.consumedAt.getTime() / 1000);
    return payload;
  }
}
