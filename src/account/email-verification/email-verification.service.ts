import { Injectable, type OnModuleInit } from '@nestjs/common';
import { IsNull, MoreThan } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import type { Principal } from '../../auth/principal/principal';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { rateLimitedError } from '../../common/errors/rate-limited.error';
import { TransactionRunner } from '../../database/transaction-runner';
import { MailService } from '../../mail/mail.service';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import { User } from '../../users/entities/user.entity';
import { type AccountSource, UserAccountsService } from '../../users/user-accounts.service';
import { requireAccountHolder } from '../account-holder';
import { AccountMails } from '../account-mails';
import { ActionToken } from '../entities/action-token.entity';
import { BackgroundTasks } from '../background-tasks';
import { invalidLink } from '../password/password.service';
import { ActionTokenService } from '../tokens/action-token.service';

/** At most one verification mail per account per minute. */
export const VERIFICATION_MAIL_INTERVAL_MS = 60_000;

/** New accounts that get a verification link: those whose address nobody has proved yet. */
const VERIFIED_BY_MAIL: ReadonlySet<AccountSource> = new Set<AccountSource>([
  'register',
  'admin',
  'tenant-owner',
  'social',
  'sso',
]);

/**
 * Email verification: a 24-hour link mailed when an account is created, on request, and when
 * a tenant that requires verification refuses a login. Invited accounts get none: redeeming
 * the invite proves the mailbox.
 */
@Injectable()
export class EmailVerificationService implements OnModuleInit {
  constructor(
    private readonly accounts: UserAccountsService,
    private readonly tenants: TenantDirectory,
    private readonly tokens: ActionTokenService,
    private readonly mails: AccountMails,
    private readonly mail: MailService,
    private readonly transactions: TransactionRunner,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
    private readonly tasks: BackgroundTasks,
    private readonly scope: TenantScope,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
    @InjectTenantRepository(ActionToken)
    private readonly actionTokens: TenantScopedRepository<ActionToken>,
  ) {}

  onModuleInit(): void {
    this.accounts.onCreated((user, source) => this.onAccountCreated(user, source));
  }

  /**
   * Mails a new link unless one left within the last minute; answers whether one was sent. In
   * the user's tenant, which need not be the caller's (a new tenant's owner).
   */
  sendLink(user: Pick<User, 'id' | 'tenantId' | 'email' | 'name'>): Promise<boolean> {
    return this.scope.run(user.tenantId, async () => {
      if ((await this.cooldownLeft(user.id)) > 0) return false;
      return this.mailLink(user);
    });
  }

  private async mailLink(user: Pick<User, 'id' | 'tenantId' | 'email' | 'name'>): Promise<boolean> {
    const tenant = await this.tenants.findById(user.tenantId);
    if (!tenant) return false;
    const { token } = await this.tokens.issue(user, 'email_verification');
    this.mail.send(this.mails.emailVerification(user, tenant, token));
    return true;
  }

  async verify(token: string): Promise<void> {
    const row = await this.tokens.findLive(token, ['email_verification']);
    if (!row) throw invalidLink();
    // Nobody is signed in: the link's tenant is the one to work in.
    await this.scope.run(row.tenantId, () => this.redeem(row));
  }

  private async redeem(row: ActionToken): Promise<void> {
    const user = await this.users.findOne({ id: row.userId, deletedAt: IsNull() });
    // The link proves the address it was sent to, not one the account has since moved to.
    if (!user || user.email !== row.email) throw invalidLink();
    const spent = await this.transactions.run(async (manager) => {
      if (!(await this.tokens.spend(row, manager))) return false;
      await this.users
        .in(manager)
        .update({ id: user.id }, { emailVerified: true, updatedAt: new Date() });
      return true;
    });
    if (!spent) throw invalidLink();
    this.bus.publish('user', user.id);
    this.audit.record({
      action: 'auth.email.verified',
      outcome: 'success',
      tenantId: user.tenantId,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
    });
  }

  /**
   * Mails a new link to the signed-in user, unless verified already. Within a minute of the last
   * link the caller is told so (429 with `Retry-After`), not answered as if a mail had left: the
   * caller is signed in, so there is no account existence to hide.
   */
  async resend(auth: Principal): Promise<void> {
    const { userId } = requireAccountHolder(auth);
    const user = await this.users.findOne({ id: userId, deletedAt: IsNull() });
    if (!user || user.emailVerified) return;
    const left = await this.cooldownLeft(user.id);
    if (left > 0) {
      throw rateLimitedError(left / 1000, {
        detail: 'A verification link was mailed less than a minute ago: open the latest one.',
      });
    }
    await this.mailLink(user);
  }

  /** Milliseconds until another verification link may be mailed to the user (0: now). */
  private async cooldownLeft(userId: string): Promise<number> {
    const last = await this.actionTokens.findOne(
      {
        userId,
        purpose: 'email_verification',
        createdAt: MoreThan(new Date(Date.now() - VERIFICATION_MAIL_INTERVAL_MS)),
      },
      undefined,
      { select: { id: true, createdAt: true }, order: { createdAt: 'DESC' } },
    );
    return last
      ? Math.max(0, last.createdAt.getTime() + VERIFICATION_MAIL_INTERVAL_MS - Date.now())
      : 0;
  }

  private onAccountCreated(user: User, source: AccountSource): void {
    if (user.emailVerified || !VERIFIED_BY_MAIL.has(source)) return;
    // Created by someone else without a password: that account was invited, and its invite
    // link does the verifying.
    if ((source === 'admin' || source === 'tenant-owner') && user.passwordHash === null) return;
    this.tasks.run('Verification mail', async () => {
      await this.sendLink(user);
    });
  }
}
