import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { UserIdentity } from './entities/user-identity.entity';

/** External identities (social, SSO) of users: the one place both federation modules link them. */
@Injectable()
export class UserIdentitiesService {
  constructor(
    @InjectRepository(UserIdentity) private readonly identities: Repository<UserIdentity>,
  ) {}

  find(tenantId: string, provider: string, subject: string): Promise<UserIdentity | null> {
    return this.identities.findOne({ where: { tenantId, provider, subject } });
  }

  listOfUser(tenantId: string, userId: string): Promise<UserIdentity[]> {
    return this.identities.find({
      where: { tenantId, userId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Links inside the caller's transaction (with the account it may have just created). */
  async link(
    manager: EntityManager,
    identity: {
      tenantId: string;
      userId: string;
      provider: string;
      subject: string;
      email: string | null;
    },
  ): Promise<UserIdentity> {
    const now = new Date();
    const row = Object.assign(new UserIdentity(), {
      id: newId(),
      ...identity,
      createdAt: now,
      lastUsedAt: now,
    });
    await manager.insert(UserIdentity, row);
    return row;
  }

  async touch(id: string, email: string | null): Promise<void> {
    await this.identities.update({ id }, { lastUsedAt: new Date(), email });
  }

  /** Removes one identity of the user; false when there is none with that id in its tenant. */
  async unlink(tenantId: string, userId: string, id: string): Promise<boolean> {
    const result = await this.identities.delete({ id, tenantId, userId });
    return (result.affected ?? 0) > 0;
  }
}
