import { Injectable } from '@nestjs/common';
import { MailService } from '../mail/mail.service';
import { accountLockedNotice, type MailRecipient, type MailTenant } from './account-mails';

/**
 * Mails the holder of an account when failed sign-ins from many places lock it for everyone
 * (OWASP: tell the user). Called once per lock; mail goes out in the background, so the answer
 * to the attempt that caused it takes no longer than any other.
 */
@Injectable()
export class AccountLockNotices {
  constructor(private readonly mail: MailService) {}

  accountLocked(holder: MailRecipient, tenant: MailTenant, lockSeconds: number): void {
    this.mail.send(accountLockedNotice(holder, tenant, lockSeconds, new Date()));
  }
}
