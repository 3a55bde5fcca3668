import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { newId } from '../common/crypto/ids';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { definedKeys } from '../common/http/defined-keys';
import { type Page, type PageQueryDto, paginate } from '../common/pagination/pagination';
import { whereAccessible } from '../roles/accessible-query';
import type { Create__Name__Dto, __Name__Dto, Update__Name__Dto } from './dto/__name__.dto';
import { __Name__ } from './entities/__name__.entity';

function toDto(row: __Name__): __Name__Dto {
  return {
    id: row.id,
    tenantId: row.tenantId,
    ownerId: row.ownerId,
    name: row.name,
    description: row.description,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Loads through the tenant-scoped repository (another tenant's rows are simply not found),
 * checks the loaded object against the caller's ability before touching it, audits changes.
 */
@Injectable()
export class __Names__Service {
  constructor(
    @InjectTenantRepository(__Name__) private readonly rows: TenantScopedRepository<__Name__>,
    private readonly audit: AuditService,
  ) {}

  async list(auth: Principal, query: PageQueryDto): Promise<Page<__Name__Dto>> {
    // The caller's rules are the WHERE clause: every page is full, whatever the role's conditions.
    const { rows, nextCursor } = await paginate(
      whereAccessible(this.rows.queryBuilder('row'), 'row', auth.permissions, 'read', '__Name__'),
      query,
    );
    return { items: rows.map(toDto), nextCursor };
  }

  async get(auth: Principal, id: string): Promise<__Name__Dto> {
    return toDto(await this.load(auth, 'read', id));
  }

  async create(auth: Principal, input: Create__Name__Dto): Promise<__Name__Dto> {
    // Owned by a user: an OAuth client acting for no one cannot own one.
    if (!auth.userId) throw AppError.forbidden('Only users can own __label__.');
    const now = new Date();
    const row = this.rows.create({
      id: newId(),
      ownerId: auth.userId,
      name: input.name,
      description: input.description ?? '',
      createdAt: now,
      updatedAt: now,
    });
    auth.permissions.assert('create', '__Name__', row);
    await this.rows.insert(row);
    this.record(auth, '__key__.created', row.id, { name: row.name });
    return toDto(row);
  }

  async update(auth: Principal, id: string, input: Update__Name__Dto): Promise<__Name__Dto> {
    const row = await this.load(auth, 'update', id);
    for (const field of definedKeys(input)) auth.permissions.assert('update', '__Name__', row, field);
    const changes = { ...input, updatedAt: new Date() };
    await this.rows.update({ id }, changes);
    this.record(auth, '__key__.updated', id, { fields: definedKeys(input) });
    return toDto(Object.assign(row, changes));
  }

  async remove(auth: Principal, id: string): Promise<void> {
    await this.load(auth, 'delete', id);
    await this.rows.delete({ id });
    this.record(auth, '__key__.deleted', id, {});
  }

  private async load(auth: Principal, action: 'read' | 'update' | 'delete', id: string): Promise<__Name__> {
    const row = await this.rows.findById(id);
    if (!row) throw AppError.notFound();
    auth.permissions.assert(action, '__Name__', row);
    return row;
  }

  private record(auth: Principal, action: string, id: string, metadata: Record<string, unknown>): void {
    this.audit.record({
      action,
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: '__key__', id },
      metadata,
    });
  }
}
