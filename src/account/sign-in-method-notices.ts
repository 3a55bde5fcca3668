import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MailService } from '../mail/mail.service';
import { TenantDirectory } from '../tenants/tenant-directory.service';
import {
  type LinkedIdentity,
  type LinkHolder,
  UserIdentitiesService,
} from '../users/user-identities.service';
import { AccountMails } from './account-mails';

/**
 * Mails the holder of an account each new sign-in method linked at a social or SSO login
 * (review F6): a link the holder did not make is the sign of a takeover attempt.
 */
@Injectable()
export class SignInMethodNotices implements OnModuleInit {
  constructor(
    private readonly identities: UserIdentitiesService,
    private readonly tenants: TenantDirectory,
    private readonly mails: AccountMails,
    private readonly mail: MailService,
  ) {}

  onModuleInit(): void {
    this.identities.onLinked((holder, link) => this.notify(holder, link));
  }

  private async notify(holder: LinkHolder, link: LinkedIdentity): Promise<void> {
    const tenant = await this.tenants.findById(holder.tenantId);
    if (!tenant) return;
    this.mail.send(this.mails.signInMethodAdded(holder, tenant, link));
  }
}
