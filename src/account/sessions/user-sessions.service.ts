import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { RefreshToken } from '../../auth/entities/refresh-token.entity';
import { Session } from '../../auth/entities/session.entity';
import type { Principal } from '../../auth/principal/principal';
import { SessionService } from '../../auth/tokens/session.service';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { AppError } from '../../common/errors/app-error';
import { requireAccountHolder } from '../account-holder';
import { type PageQueryDto, paginate } from '../../common/pagination/pagination';
import type { SessionDto, SessionListDto } from '../dto/session.dto';

/** The signed-in user's own sessions (devices): list them, end one. */
@Injectable()
export class UserSessionsService {
  constructor(
    private readonly sessionService: SessionService,
    private readonly audit: AuditService,
    @InjectTenantRepository(Session) private readonly sessions: TenantScopedRepository<Session>,
  ) {}

  /**
   * Live sessions, newest first: not revoked, before their absolute end, and holding a refresh
   * token that can still be used (a session idle past `REFRESH_TOKEN_TTL` is over).
   */
  async list(auth: Principal, query: PageQueryDto): Promise<SessionListDto> {
    const { userId, sessionId } = requireAccountHolder(auth);
    const now = new Date();
    const builder = this.sessions
      .queryBuilder('session')
      .andWhere('session.userId = :userId', { userId })
      .andWhere('session.revokedAt IS NULL')
      .andWhere('session.expiresAt > :now', { now })
      .andWhere((qb) => {
        const usable = qb
          .subQuery()
          .select('1')
          .from(RefreshToken, 'token')
          .where('token.sessionId = session.id')
          .andWhere('token.rotatedAt IS NULL')
          .andWhere('token.expiresAt > :now')
          .getQuery();
        return `EXISTS ${usable}`;
      });
    const { rows, nextCursor } = await paginate(builder, query, { defaultOrder: 'desc' });
    return { items: rows.map((session) => toDto(session, sessionId)), nextCursor };
  }

  /** Ends one of the caller's sessions; another user's, or an unknown id, is 404. */
  async revoke(auth: Principal, id: string): Promise<void> {
    const { userId } = requireAccountHolder(auth);
    const session = await this.sessions.findOne({ id: id.toLowerCase(), userId });
    if (!session || session.revokedAt !== null) throw AppError.notFound();
    await this.sessionService.revoke(session.id, 'user_revoked');
    this.audit.record({
      action: 'auth.logout',
      outcome: 'success',
      tenantId: session.tenantId,
      target: { type: 'session', id: session.id },
      metadata: { scope: 'session' },
    });
  }
}

function toDto(session: Session, currentSessionId: string | null): SessionDto {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentSessionId,
  };
}
