import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { renderActionMail, renderNoticeMail } from '../mail/action-mail.template';
import type { MailMessage } from '../mail/mail.service';
import type { LinkedIdentity } from '../users/user-identities.service';

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

  /**
   * A new way into the account (a provider or SSO identity linked at login). It names what and
   * when, carries no link and no secret, and says what to do if the holder did not add it.
   */
  signInMethodAdded(to: MailRecipient, tenant: MailTenant, link: LinkedIdentity): MailMessage {
    const what =
      link.method === 'sso'
        ? `single sign-on through "${link.label}"`
        : `sign-in with ${link.label}`;
    return {
      kind: 'sign_in_method_added',
      to: to.email,
      subject: `A new sign-in method was added to your ${tenant.name} account`,
      ...renderNoticeMail({
        paragraphs: [
          greeting(to),
          `A new sign-in method was added to your ${tenant.name} account: ${what}, on ${utc(link.linkedAt)}.`,
          'From now on it signs you in to this account.',
        ],
        footer: [
          'If this was you, there is nothing to do.',
          'If it was not you, sign in with your password, remove this method from your sign-in methods, change your password, and tell your administrator.',
        ],
      }),
    };
  }
}

/**
 * Sign-in paused after failed attempts from many places (the account-wide lockout). It carries
 * no link and no secret, and tells the holder what still works: waiting, or a password reset.
 */
export function accountLockedNotice(
  to: MailRecipient,
  tenant: MailTenant,
  lockSeconds: number,
  at: Date,
): MailMessage {
  const minutes = Math.max(1, Math.round(lockSeconds / 60));
  return {
    kind: 'account_locked',
    to: to.email,
    subject: `Sign-in to your ${tenant.name} account is paused`,
    ...renderNoticeMail({
      paragraphs: [
        greeting(to),
        `There were many failed attempts to sign in to your ${tenant.name} account with a password, from several places. Sign-in with a password is paused for ${minutes} minute${minutes === 1 ? '' : 's'} from ${utc(at)}.`,
        'Nobody signed in: the pause stops the guessing. Where you are already signed in, nothing changes.',
      ],
      footer: [
        'If it was you, wait for the pause to end, or reset your password with "Forgot password": a new password ends the pause at once.',
        'If it was not you, you may choose a new password the same way, and tell your administrator.',
      ],
    }),
  };
}

/** `2026-12-07 21:40 UTC`: unambiguous whatever the reader's zone. */
function utc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function greeting(to: MailRecipient): string {
  const name = to.name.trim();
  return name ? `Hello ${name},` : 'Hello,';
}
