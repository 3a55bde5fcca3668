import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { requireAccountHolder } from '../account/account-holder';
import type { Principal } from '../auth/principal/principal';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { type PageQueryDto, paginate } from '../common/pagination/pagination';
import { TransactionRunner } from '../database/transaction-runner';
import { UserIdentity } from '../users/entities/user-identity.entity';
import { User } from '../users/entities/user.entity';
import { IdentityDto, type IdentityListDto } from './dto/identity.dto';

/**
 * The caller's own external identities (social and SSO: both live in `user_identities`).
 * Unlinking never leaves an account without a way in: the last identity of a user without a
 * password stays (409 `conflict`).
 */
@Injectable()
export class IdentitiesService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    @InjectTenantRepository(UserIdentity)
    private readonly links: TenantScopedRepository<UserIdentity>,
  ) {}

  async list(auth: Principal, query: PageQueryDto): Promise<IdentityListDto> {
    const { userId } = requireAccountHolder(auth);
    const { rows, nextCursor } = await paginate(
      this.links.queryBuilder('identity').andWhere('identity.userId = :userId', { userId }),
      query,
    );
    return { items: rows.map((row) => IdentityDto.from(row)), nextCursor };
  }

  async unlink(auth: Principal, id: string): Promise<void> {
    const { userId } = requireAccountHolder(auth);
    const removed = await this.transactions.run(async (manager) => {
      // On PostgreSQL the user row is locked, so two concurrent unlinks cannot each see the
      // other's identity as the remaining way in. SQLite runs one transaction at a time.
      const links = this.links.in(manager);
      const user = await this.users
        .in(manager)
        .findOne(
          { id: userId, deletedAt: IsNull() },
          undefined,
          manager.connection.options.type === 'postgres'
            ? { lock: { mode: 'pessimistic_write' } }
            : {},
        );
      if (!user) throw AppError.notFound();
      const identities = await links.find({ where: { userId } });
      const identity = identities.find((candidate) => candidate.id === id);
      if (!identity) throw AppError.notFound();
      if (user.passwordHash === null && identities.length <= 1) {
        throw AppError.conflict(
          'This is the only way to sign in to this account: set a password or link another provider first.',
        );
      }
      await links.delete({ id: identity.id, userId });
      return identity;
    });
    this.audit.record({
      action: 'auth.identity.unlinked',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'user', id: userId },
      metadata: { identityId: removed.id, provider: removed.provider },
    });
  }
}
