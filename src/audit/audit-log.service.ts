import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal/principal';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { whereAccessible } from '../roles/accessible-query';
import { AuditEventDto, type AuditEventPageDto } from './dto/audit-event.dto';
import type { ListAuditEventsQueryDto } from './dto/list-audit-events.query';
import { AuditEvent } from './entities/audit-event.entity';

const DEFAULT_LIMIT = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Cursors are opaque to clients: the id of the last event of the page, base64url-encoded. */
function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = /^[\w-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!UUID.test(id)) {
    throw AppError.validation([{ field: 'cursor', message: 'is not a cursor this API gave out' }]);
  }
  return id;
}

function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * Reading the audit log: the caller's tenant only (its id comes from the principal and is in
 * every query), newest first. Nothing here writes: no route changes the log.
 */
@Injectable()
export class AuditLogService {
  constructor(
    @InjectTenantRepository(AuditEvent) private readonly events: TenantScopedRepository<AuditEvent>,
  ) {}

  async list(auth: Principal, query: ListAuditEventsQueryDto): Promise<AuditEventPageDto> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const from = query.from ? new Date(query.from) : null;
    const to = query.to ? new Date(query.to) : null;
    if (from && to && from > to) {
      throw AppError.validation([{ field: 'from', message: 'must not be after to' }]);
    }
    const builder = whereAccessible(
      this.events.queryBuilder('event'),
      'event',
      auth.permissions,
      'read',
      'AuditEvent',
    );
    if (query.action?.endsWith('.*')) {
      builder.andWhere("event.action LIKE :prefix ESCAPE '!'", {
        prefix: `${escapeLike(query.action.slice(0, -1))}%`,
      });
    } else if (query.action) {
      builder.andWhere('event.action = :action', { action: query.action });
    }
    if (query.actorId) builder.andWhere('event.actorId = :actorId', { actorId: query.actorId });
    if (query.targetType)
      builder.andWhere('event.targetType = :targetType', { targetType: query.targetType });
    if (query.targetId)
      builder.andWhere('event.targetId = :targetId', { targetId: query.targetId });
    if (query.outcome) builder.andWhere('event.outcome = :outcome', { outcome: query.outcome });
    if (from) builder.andWhere('event.at >= :from', { from });
    if (to) builder.andWhere('event.at <= :to', { to });
    if (query.cursor)
      builder.andWhere('event.id < :cursor', { cursor: decodeCursor(query.cursor) });

    // Ids are UUID v7: their order is the order events were recorded in.
    const rows = await builder
      .orderBy('event.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((event) => AuditEventDto.from(event)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
    };
  }
}
