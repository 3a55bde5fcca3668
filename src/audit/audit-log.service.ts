import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal/principal';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { paginate } from '../common/pagination/pagination';
import { whereAccessible } from '../roles/accessible-query';
import { AuditEventDto, type AuditEventPageDto } from './dto/audit-event.dto';
import type { ListAuditEventsQueryDto } from './dto/list-audit-events.query';
import { AuditEvent } from './entities/audit-event.entity';

function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * Reading the audit log: the caller's tenant only (its id comes from the principal and is in
 * every query), newest first unless asked otherwise. Nothing here writes: no route changes the
 * log.
 *
 * The log is ordered by its chain position (`seq`), not by `at`: `at` is taken when an event is
 * recorded, but events are written in batches, so across instances (or a retried batch) an event
 * with an earlier `at` can become visible after a later one was read, and a reader tailing by
 * time would skip it. A position is assigned when the batch is written, from the chain's head
 * under the unique `(chain, seq)` index (`AuditService.appendToChain`): a writer that read a
 * stale head fails and retries, so position n + 1 never commits before n. The committed
 * positions are always 1..n without holes, and `order=asc&after=` reads each event exactly once.
 * A tenant's events are all on its own chain, so within a list positions are unique.
 */
@Injectable()
export class AuditLogService {
  constructor(
    @InjectTenantRepository(AuditEvent) private readonly events: TenantScopedRepository<AuditEvent>,
  ) {}

  async list(auth: Principal, query: ListAuditEventsQueryDto): Promise<AuditEventPageDto> {
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
    if (query.after !== undefined && query.cursor !== undefined) {
      throw AppError.validation([{ field: 'after', message: 'cannot be given with cursor' }]);
    }
    const { rows, nextCursor } = await paginate(
      builder,
      { limit: query.limit, order: query.order, cursor: query.after ?? query.cursor },
      {
        key: 'seq',
        defaultOrder: 'desc',
        tail: true,
        cursorField: query.after === undefined ? 'cursor' : 'after',
      },
    );
    return { items: rows.map((event) => AuditEventDto.from(event)), nextCursor };
  }
}
