import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { TenantScope } from '../../common/database/tenant-scope';
import { MailService } from '../../mail/mail.service';
import type { Tenant } from '../../tenants/entities/tenant.entity';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import { UserAccountsService } from '../../users/user-accounts.service';
import { AccountMails } from '../account-mails';
import { BackgroundTasks } from '../background-tasks';
import { ActionTokenService } from '../tokens/action-token.service';

/** One reset mail per account per minute, however often someone asks. */
export const RESET_MAIL_INTERVAL_MS = 60_000;

export interface InviteRecipient {
  id: string;
  tenantId: string;
  email: string;
  name: string;
}

export interface InviteTenant {
  name: string;
}

/**
 * The mails that let someone set a password: a reset link (30 minutes) asked for with
 * `POST /v1/auth/password/forgot`, and an invite link (7 days) sent when an account is created
 * without a password. `POST /v1/auth/password/reset` redeems both.
 */
@Injectable()
export class PasswordLinksService {
  constructor(
    private readonly tenants: TenantDirectory,
    private readonly accounts: UserAccountsService,
    private readonly tokens: ActionTokenService,
    private readonly mails: AccountMails,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly tasks: BackgroundTasks,
    private readonly scope: TenantScope,
  ) {}

  /**
   * Answers nothing and returns at once: the account is looked up after the response has
   * gone, so neither the answer nor its timing says whether the account exists.
   */
  requestReset(tenantSlug: string, email: string): void {
    this.tasks.run('Password reset request', () => this.processResetRequest(tenantSlug, email));
  }

  /**
   * Mails a set-password link valid for 7 days to an account created without a password (an
   * invited user, a new tenant's owner). The link opens `APP_URL/accept-invite?token=…`; its
   * token is redeemed by `POST /v1/auth/password/reset`, which also marks the email verified.
   * A new invite voids the user's earlier unused ones. Returns once the token is stored; the
   * mail leaves in the background.
   */
  async sendInvite(user: InviteRecipient, tenant: InviteTenant): Promise<{ expiresAt: Date }> {
    const { token, expiresAt } = await this.tokens.issue(user, 'invite');
    this.mail.send(this.mails.invite(user, tenant, token));
    return { expiresAt };
  }

  private async processResetRequest(tenantSlug: string, email: string): Promise<void> {
    const tenant = await this.tenants.findBySlug(tenantSlug);
    // Nobody is signed in: the tenant named is the one to work in.
    if (tenant) await this.scope.run(tenant.id, () => this.resetRequested(tenant, email));
    else await this.resetRequested(null, email);
  }

  private async resetRequested(tenant: Tenant | null, email: string): Promise<void> {
    const user =
      tenant && tenant.status === 'active' ? await this.accounts.findForLogin(email) : null;
    if (!tenant || !user || user.status !== 'active') {
      this.audit.record({
        action: 'auth.password.reset_requested',
        outcome: 'failure',
        tenantId: tenant?.id ?? null,
        target: { type: 'user', id: user?.id ?? null },
        metadata: {
          reason: !tenant
            ? 'unknown_tenant'
            : tenant.status !== 'active'
              ? 'tenant_suspended'
              : !user
                ? 'unknown_user'
                : 'user_disabled',
        },
      });
      return;
    }
    const throttled = await this.tokens.issuedWithin(
      user.id,
      'password_reset',
      RESET_MAIL_INTERVAL_MS,
    );
    if (!throttled) {
      const { token } = await this.tokens.issue(user, 'password_reset');
      this.mail.send(this.mails.passwordReset(user, tenant, token));
    }
    this.audit.record({
      action: 'auth.password.reset_requested',
      outcome: 'success',
      tenantId: tenant.id,
      target: { type: 'user', id: user.id },
      metadata: { mailed: !throttled },
    });
  }
}
