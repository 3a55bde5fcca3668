import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { newId } from '../common/crypto/ids';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { UserIdentity } from './entities/user-identity.entity';
import type { User } from './entities/user.entity';

/** A new way into an existing account, as its holder is told about it. */
export interface LinkedIdentity {
  identityId: string;
  provider: string;
  method: 'social' | 'sso';
  /** What the holder knows it by: the provider's name, or the SSO connection's. */
  label: string;
  linkedAt: Date;
}

export type LinkHolder = Pick<User, 'id' | 'tenantId' | 'email' | 'name'>;
export type IdentityLinkedListener = (
  holder: LinkHolder,
  link: LinkedIdentity,
) => Promise<void> | void;

/**
 * External identities (social, SSO) of users: the one place both federation modules link them.
 * Every query is in the current tenant scope (the login flow has entered the tenant it resolved).
 */
@Injectable()
export class UserIdentitiesService {
  private readonly logger = new Logger(UserIdentitiesService.name);
  private readonly linkedListeners: IdentityLinkedListener[] = [];

  constructor(
    private readonly audit: AuditService,
    @InjectTenantRepository(UserIdentity)
    private readonly identities: TenantScopedRepository<UserIdentity>,
  ) {}

  /** Lets a module react to new links (the lifecycle module mails the holder). From `onModuleInit`. */
  onLinked(listener: IdentityLinkedListener): void {
    this.linkedListeners.push(listener);
  }

  /**
   * Once a link to an existing account has committed: audits `auth.identity.linked` and tells
   * the listeners, so that a holder who did not add it learns of it. A listener's failure is
   * logged, never thrown: the login it belongs to goes on.
   */
  async announceLinked(holder: LinkHolder, link: LinkedIdentity): Promise<void> {
    this.audit.record({
      action: 'auth.identity.linked',
      outcome: 'success',
      tenantId: holder.tenantId,
      actor: { type: 'user', id: holder.id },
      target: { type: 'user', id: holder.id },
      metadata: { provider: link.provider, identityId: link.identityId, method: link.method },
    });
    for (const listener of this.linkedListeners) {
      try {
        await listener(holder, link);
      } catch (error) {
        this.logger.error(
          `Identity-linked listener failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  find(provider: string, subject: string): Promise<UserIdentity | null> {
    return this.identities.findOne({ provider, subject });
  }

  /** Links inside the caller's transaction (with the account it may have just created). */
  async link(
    manager: EntityManager,
    identity: {
      userId: string;
      provider: string;
      subject: string;
      email: string | null;
    },
  ): Promise<UserIdentity> {
    const now = new Date();
    const identities = this.identities.in(manager);
    const row = identities.create({ id: newId(), ...identity, createdAt: now, lastUsedAt: now });
    await identities.insert(row);
    return row;
  }

  async touch(id: string, email: string | null): Promise<void> {
    await this.identities.update({ id }, { lastUsedAt: new Date(), email });
  }

  /** Removes one identity of the user; false when there is none with that id in the tenant. */
  async unlink(userId: string, id: string): Promise<boolean> {
    return (await this.identities.delete({ id, userId })) > 0;
  }
}
