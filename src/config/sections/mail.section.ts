import type { MailConfig } from '../config.types';
import { EnvString, EnvUrl } from '../env-decorators';

/** Outgoing mail; without SMTP_URL, mails are logged instead of sent. */
export class MailVariables {
  @EnvUrl(['smtp:', 'smtps:'])
  SMTP_URL?: string;

  @EnvString()
  MAIL_FROM = 'Gatehouse <no-reply@localhost>';
}

export function toMailConfig(vars: MailVariables): MailConfig {
  return { smtpUrl: vars.SMTP_URL ?? null, from: vars.MAIL_FROM };
}
