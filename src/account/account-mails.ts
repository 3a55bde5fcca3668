import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { renderActionMail } from '../mail/action-mail.template';
import type { MailMessage } from '../mail/mail.service';

export interface MailRecipient {
  email: string;
  name: string;
}

export interface MailTenant {
  name: string;
}

/** Paths under `APP_URL` of the pages mailed links open; each posts the token back to the API. */
export const ACCOUNT_LINK_PATHS = {
  resetPassword: '/reset-password',
  verifyEmail: '/verify-email',
  acceptInvite: '/accept-invite',
} as const;

/**
 * The mails of the account lifecycle. Each carries exactly one secret, the token in its link;
 * nothing else in it (names, the tenant) is sensitive.
 */
@Injectable()
export class AccountMails {
  constructor(private readonly config: AppConfig) {}

  link(path: string, token: string): string {
    return `${this.config.http.appUrl}${path}?token=${encodeURIComponent(token)}`;
  }

  passwordReset(to: MailRecipient, tenant: MailTenant, token: string): MailMessage {
    const link = this.link(ACCOUNT_LINK_PATHS.resetPassword, token);
    return {
      kind: 'password_reset',
      to: to.email,
      subject: `Reset your ${tenant.name} password`,
      link,
      ...renderActionMail({
        paragraphs: [
          greeting(to),
          `Someone asked to reset the password of your ${tenant.name} account. If it was you, choose a new password with the link below.`,
        ],
        action: 'Choose a new password',
        link,
        footer: [
          'The link works once, for 30 minutes. Setting a new password signs you out everywhere.',
          'If you did not ask for this, ignore this mail: your password stays as it is.',
        ],
      }),
    };
  }

  emailVerification(to: MailRecipient, tenant: MailTenant, token: string): MailMessage {
    const link = this.link(ACCOUNT_LINK_PATHS.verifyEmail, token);
    return {
      kind: 'email_verification',
      to: to.email,
      subject: `Confirm your email address for ${tenant.name}`,
      link,
      ...renderActionMail({
        paragraphs: [
          greeting(to),
          `Please confirm that this address belongs to your ${tenant.name} account.`,
        ],
        action: 'Confirm my email address',
        link,
        footer: [
          'The link works once, for 24 hours.',
          'If you did not create an account, ignore this mail.',
        ],
      }),
    };
  }

  invite(to: MailRecipient, tenant: MailTenant, token: string): MailMessage {
    const link = this.link(ACCOUNT_LINK_PATHS.acceptInvite, token);
    return {
      kind: 'invite',
      to: to.email,
      subject: `You are invited to ${tenant.name}`,
      link,
      ...renderActionMail({
        paragraphs: [
          greeting(to),
          `An account has been created for you in ${tenant.name}. Choose a password to start using it.`,
        ],
        action: 'Choose my password',
        link,
        footer: [
          'The link works once, for 7 days. Ask your administrator for a new one if it has expired.',
          'If you did not expect this invitation, ignore this mail.',
        ],
      }),
    };
  }
}

function greeting(to: MailRecipient): string {
  const name = to.name.trim();
  return name ? `Hello ${name},` : 'Hello,';
}
