import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { LoginAttempt, LoginPolicy } from '../auth/login/login-policy';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { emailDomain } from './connection-settings';
import { SsoConnectionsService } from './sso-connections.service';
import { ssoUrls } from './sso-urls';

/**
 * The tenant setting `ssoRequired`: a password login whose email domain is served by one of
 * the tenant's SSO connections is refused with 403 `sso_required` and the connection's
 * `loginUrl`, before the password is checked. The answer depends on the tenant and the domain
 * only (which discovery tells anyway), never on whether the account exists, and costs no
 * argon2 work. Emails of other domains (a break-glass owner, contractors) keep their password.
 */
@Injectable()
export class SsoRequiredPolicy implements LoginPolicy {
  readonly name = 'sso-required';
  /** Before lockout and MFA: this refusal is not a failed password. */
  readonly order = 5;

  constructor(
    private readonly connections: SsoConnectionsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async beforePasswordCheck(attempt: LoginAttempt): Promise<void> {
    const tenant = attempt.tenant;
    if (!tenant?.settings.ssoRequired) return;
    const domain = emailDomain(attempt.input.email);
    if (!domain) return;
    const connection = await this.connections.findByDomain(domain);
    if (!connection || connection.tenantId !== tenant.id) return;
    this.audit.record({
      action: 'auth.login',
      outcome: 'failure',
      tenantId: tenant.id,
      actor: { type: 'user', id: attempt.user?.id ?? null },
      target: { type: 'user', id: attempt.user?.id ?? null },
      metadata: { reason: 'sso_required', connectionId: connection.id },
    });
    const loginUrl = ssoUrls(this.config.http.publicUrl, connection).loginUrl;
    throw new AppError(403, ErrorCode.SsoRequired, {
      detail: 'This organisation signs in with single sign-on. Use the loginUrl.',
      extensions: { connectionId: connection.id, loginUrl },
    });
  }
}
