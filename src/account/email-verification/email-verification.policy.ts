import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import type { FederatedLogin, LoginPolicy, VerifiedLogin } from '../../auth/login/login-policy';
import type { Tenant } from '../../tenants/entities/tenant.entity';
import type { User } from '../../users/entities/user.entity';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { EmailVerificationService } from './email-verification.service';

/**
 * Tenants with `requireEmailVerification` refuse logins until the address is verified. It runs
 * after the password proved right, so the 403 tells nothing to someone without the password;
 * and since the user cannot sign in to ask for a new link, the refusal mails one (at most one
 * a minute).
 */
@Injectable()
export class EmailVerificationPolicy implements LoginPolicy {
  readonly name = 'email-verification';
  readonly order = 40;

  constructor(
    private readonly verification: EmailVerificationService,
    private readonly audit: AuditService,
  ) {}

  async afterPasswordCheck(login: VerifiedLogin): Promise<void> {
    await this.refuseUnverified(login);
  }

  /** A provider that does not vouch for the email does not stand in for verifying it. */
  async afterFederatedLogin(login: FederatedLogin): Promise<void> {
    await this.refuseUnverified(login);
  }

  private async refuseUnverified(login: { tenant: Tenant; user: User }): Promise<void> {
    const { tenant, user } = login;
    if (!tenant.settings.requireEmailVerification || user.emailVerified) return;
    await this.verification.sendLink(user);
    this.audit.record({
      action: 'auth.login',
      outcome: 'failure',
      tenantId: tenant.id,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
      metadata: { reason: 'email_not_verified' },
    });
    throw new AppError(403, ErrorCode.EmailNotVerified, {
      detail:
        'Confirm your email address first: a link has been mailed to you (open the latest one).',
    });
  }
}
