import { Injectable } from '@nestjs/common';
import type { User } from './entities/user.entity';

export type InvitationSender = (user: User) => Promise<void>;

/**
 * Sends the set-password link to accounts created without a password (an admin's invite, a new
 * tenant's owner). The mail and the link's token belong to the account-lifecycle module, which
 * registers itself here at start; the users module only asks for an invitation.
 */
@Injectable()
export class UserInvitations {
  private sender: InvitationSender | null = null;

  useSender(sender: InvitationSender): void {
    this.sender = sender;
  }

  async invite(user: User): Promise<void> {
    if (!this.sender) throw new Error('No invitation sender is registered');
    await this.sender(user);
  }
}
