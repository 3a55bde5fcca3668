import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, type Repository } from 'typeorm';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { newId } from '../../common/crypto/ids';
import { AuditService } from '../../audit/audit.service';
import { MetricsService } from '../../metrics/metrics.service';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { randomSecret, sha256Hex } from '../../common/crypto/tokens';
import { AppError } from '../../common/errors/app-error';
import type { ClientInfo } from '../../common/http/request-context';
import { AppConfig } from '../../config/app-config';
import { TransactionRunner } from '../../database/transaction-runner';
import { RefreshToken } from '../entities/refresh-token.entity';
import { Session } from '../entities/session.entity';
import { PrincipalService } from '../principal/principal.service';
import { AccessTokenService } from './access-token.service';
import { bulkInsert } from '../../database/bulk-insert';
import {
  affectedRows,
  columnOf,
  hydrate,
  placeholder,
  selectList,
  storedValue,
  tableOf,
} from '../../database/raw-rows';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** How stale a session's `lastUsedAt` may get before a refresh writes it again. */
const LAST_USED_PRECISION_MS = 60_000;

export type SessionMethod = 'password' | 'mfa' | 'social' | 'sso' | 'invite';

/**
 * Sessions and their refresh-token families.
 *
 * Refresh tokens are opaque, stored as SHA-256, and rotated on every use. A token that was
 * already rotated and is presented again means two parties hold it: the whole family is
 * revoked (OAuth 2.0 Security BCP §4.14), and the party that refreshed first loses its tokens
 * too. Rotation is one conditional UPDATE, so of N concurrent uses exactly one wins on either
 * engine; the others are treated as reuse.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  /** The refresh-token lookup, as SQL for this database (see `findTokenWithSession`). */
  private readonly lookupSql: string;
  /** The rotation's claim: marks a token rotated unless something already did. */
  private readonly claimSql: string;

  constructor(
    private readonly config: AppConfig,
    private readonly accessTokens: AccessTokenService,
    private readonly principals: PrincipalService,
    private readonly transactions: TransactionRunner,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly scope: TenantScope,
    @InjectTenantRepository(Session) private readonly sessions: TenantScopedRepository<Session>,
    @InjectRepository(RefreshToken) private readonly refreshTokens: Repository<RefreshToken>,
  ) {
    const manager = refreshTokens.manager;
    this.lookupSql =
      `SELECT ${selectList(manager, RefreshToken, 't')}, ${selectList(manager, Session, 's')} ` +
      `FROM ${tableOf(manager, RefreshToken)} t INNER JOIN ${tableOf(manager, Session)} s ` +
      `ON s.${columnOf(manager, Session, 'id')} = t.${columnOf(manager, RefreshToken, 'sessionId')} ` +
      `WHERE t.${columnOf(manager, RefreshToken, 'tokenHash')} = ${placeholder(manager, 1)}`;
    const rotatedAt = columnOf(manager, RefreshToken, 'rotatedAt');
    this.claimSql =
      `UPDATE ${tableOf(manager, RefreshToken)} SET ${rotatedAt} = ${placeholder(manager, 1)} ` +
      `WHERE ${columnOf(manager, RefreshToken, 'id')} = ${placeholder(manager, 2)} AND ${rotatedAt} IS NULL`;
  }

  /**
   * Opens a session for a user who has just proved who they are, and issues its first pair. The
   * session is the user's tenant's: a login may open it before entering any scope.
   */
  async start(
    user: { id: string; tenantId: string },
    method: SessionMethod,
    client: ClientInfo,
  ): Promise<TokenPair> {
    return (await this.open(user, method, client)).pair;
  }

  /** `start()`, also answering the new session's id; `ssoConnectionId` for an SSO login. */
  async open(
    user: { id: string; tenantId: string },
    method: SessionMethod,
    client: ClientInfo,
    options: { ssoConnectionId?: string | null } = {},
  ): Promise<{ pair: TokenPair; sessionId: string }> {
    const now = new Date();
    const session = Object.assign(new Session(), {
      id: newId(),
      tenantId: user.tenantId,
      userId: user.id,
      method,
      ssoConnectionId: options.ssoConnectionId ?? null,
      ip: client.ip,
      userAgent: client.userAgent,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.config.tokens.sessionMaxAge * 1000),
      revokedAt: null,
      revokedReason: null,
    });
    const refreshToken = randomSecret();
    await this.transactions.run(async (manager) => {
      await bulkInsert(manager, Session, [session]);
      await bulkInsert(manager, RefreshToken, [this.newRefreshRow(session, refreshToken, now)]);
    });
    this.metrics.tokensIssued.inc({ grant: method });
    return { pair: await this.pair(session, refreshToken), sessionId: session.id };
  }

  /** Exchanges a refresh token for a new pair; see the class comment for reuse. */
  async rotate(presented: string): Promise<TokenPair> {
    const row = await this.findTokenWithSession(presented);
    const session = row?.session;
    if (!row || !session) throw AppError.invalidToken('The refresh token is not valid.');
    // Nobody is signed in: the token's session names the tenant to work in.
    return this.scope.run(session.tenantId, () => this.rotateFound(row, session));
  }

  private async rotateFound(row: RefreshToken, session: Session): Promise<TokenPair> {
    const now = new Date();

    if (row.rotatedAt !== null) {
      await this.onReuse(session);
      throw AppError.invalidToken('The refresh token is not valid.');
    }
    if (session.revokedAt !== null || session.expiresAt <= now || row.expiresAt <= now) {
      throw AppError.invalidToken('The refresh token is not valid.');
    }
    const context = await this.principals.userContext(session.userId);
    if (!context) throw AppError.invalidToken('The refresh token is not valid.');
    this.principals.assertActive(context);

    // The race is decided here: only one UPDATE can see rotated_at still NULL. The successor is
    // written in the same transaction, so a failure between the two cannot leave the family
    // with a spent token and no successor (whose retry would then look like reuse).
    const refreshToken = randomSecret();
    const claimed = await this.transactions.run(async (manager) => {
      const claim = [storedValue(manager, RefreshToken, 'rotatedAt', now), row.id];
      if ((await affectedRows(manager, this.claimSql, claim)) !== 1) return false;
      await bulkInsert(manager, RefreshToken, [this.newRefreshRow(session, refreshToken, now)]);
      return true;
    });
    if (!claimed) {
      await this.onReuse(session);
      throw AppError.invalidToken('The refresh token is not valid.');
    }
    // "Last used" is for people reading their sessions list: a minute's precision is plenty,
    // and it saves a write on most refreshes of a busy client.
    if (now.getTime() - session.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
      await this.sessions.update({ id: session.id }, { lastUsedAt: now });
    }
    this.audit.record({
      action: 'auth.refresh',
      outcome: 'success',
      tenantId: session.tenantId,
      actor: { type: 'user', id: session.userId },
      target: { type: 'session', id: session.id },
    });
    this.metrics.tokensIssued.inc({ grant: 'refresh' });
    return this.pair(session, refreshToken);
  }

  /** The session a refresh token belongs to, whatever its state; null when unknown. */
  async findByRefreshToken(presented: string): Promise<Session | null> {
    return (await this.findTokenWithSession(presented))?.session ?? null;
  }

  /**
   * One indexed join, as plain SQL built once, like the claim in `rotate`: on the refresh path
   * the query builder costs more than SQLite's work (docs/performance.md). Across tenants: the
   * token's hash is unique on the instance, and the session found names the tenant.
   */
  private async findTokenWithSession(presented: string): Promise<RefreshToken | null> {
    const manager = this.refreshTokens.manager;
    const rows: Record<string, unknown>[] = await manager.query(this.lookupSql, [
      sha256Hex(presented),
    ]);
    const raw = rows[0];
    if (!raw) return null;
    const token = hydrate(manager, RefreshToken, raw, 't');
    token.session = hydrate(manager, Session, raw, 's');
    return token;
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.sessions.update(
      { id: sessionId, revokedAt: IsNull() },
      { revokedAt: new Date(), revokedReason: reason },
    );
    this.bus.publish('session', sessionId);
  }

  /** Revokes every live session of a user, or all but one; answers how many. */
  async revokeAllOfUser(userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    return this.revokeWhere({ userId }, reason, exceptSessionId);
  }

  /** Revokes every live session opened through an SSO connection; answers how many. */
  async revokeAllOfSsoConnection(connectionId: string, reason: string): Promise<number> {
    return this.revokeWhere({ ssoConnectionId: connectionId }, reason);
  }

  private async revokeWhere(
    where: { userId: string } | { ssoConnectionId: string },
    reason: string,
    exceptSessionId?: string,
  ): Promise<number> {
    const live = await this.sessions.find({
      where: { ...where, revokedAt: IsNull() },
      select: { id: true },
    });
    const ids = live.map((session) => session.id).filter((id) => id !== exceptSessionId);
    if (ids.length === 0) return 0;
    await this.sessions.update(
      { id: In(ids), revokedAt: IsNull() },
      { revokedAt: new Date(), revokedReason: reason },
    );
    for (const id of ids) this.bus.publish('session', id);
    return ids.length;
  }

  private async onReuse(session: Session): Promise<void> {
    if (session.revokedAt === null) {
      await this.revoke(session.id, 'refresh_reuse');
      this.logger.warn(`Refresh token reuse detected; session ${session.id} revoked`);
    }
    this.audit.record({
      action: 'auth.refresh.reuse_detected',
      outcome: 'failure',
      tenantId: session.tenantId,
      actor: { type: 'user', id: session.userId },
      target: { type: 'session', id: session.id },
    });
  }

  private newRefreshRow(session: Session, token: string, now: Date): RefreshToken {
    const idleEnd = now.getTime() + this.config.tokens.refreshTokenTtl * 1000;
    return Object.assign(new RefreshToken(), {
      id: newId(),
      sessionId: session.id,
      tokenHash: sha256Hex(token),
      createdAt: now,
      expiresAt: new Date(Math.min(idleEnd, session.expiresAt.getTime())),
      rotatedAt: null,
    });
  }

  private async pair(session: Session, refreshToken: string): Promise<TokenPair> {
    const access = await this.accessTokens.issue({
      sub: session.userId,
      tid: session.tenantId,
      sid: session.id,
    });
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
    };
  }
}
