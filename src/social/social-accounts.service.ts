import { Injectable } from '@nestjs/common';
import { IsNull, QueryFailedError } from 'typeorm';
import { TenantScope } from '../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { TransactionRunner } from '../database/transaction-runner';
import type { Tenant } from '../tenants/entities/tenant.entity';
import { User } from '../users/entities/user.entity';
import { UserAccountsService } from '../users/user-accounts.service';
import { UserIdentitiesService } from '../users/user-identities.service';
import type { ProviderProfile } from './providers/social-provider';
import { SocialLoginFailure } from './social-login-failure';

/** How the provider identity found its account. */
export type SocialSignInOutcome = 'identity' | 'linked' | 'created';

export interface SocialSignIn {
  user: User;
  outcome: SocialSignInOutcome;
  identityId: string;
}

/**
 * The account a provider identity signs into (SPEC §13, §14):
 * 1. the user the identity (tenant, provider, subject) is already linked to;
 * 2. else the tenant's account with the same email, linked now (audited, and mailed to its
 *    holder), but only when the provider asserts the email is verified and the account's own
 *    email is verified too: otherwise `account_exists` (someone else's provider account, or
 *    an account someone registered with an address they do not own);
 * 3. else a new member account without a password, `emailVerified` as the provider says, if
 *    the tenant allows sign-up (never the root tenant).
 */
@Injectable()
export class SocialAccountsService {
  constructor(
    private readonly accounts: UserAccountsService,
    private readonly identities: UserIdentitiesService,
    private readonly transactions: TransactionRunner,
    private readonly scope: TenantScope,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
  ) {}

  /** In the tenant's scope: the callback resolved the tenant, and nobody is signed in yet. */
  signIn(tenant: Tenant, provider: string, profile: ProviderProfile): Promise<SocialSignIn> {
    return this.scope.run(tenant.id, () => this.signInInScope(tenant, provider, profile));
  }

  private async signInInScope(
    tenant: Tenant,
    provider: string,
    profile: ProviderProfile,
  ): Promise<SocialSignIn> {
    try {
      return await this.resolve(tenant, provider, profile);
    } catch (error) {
      // Two first logins of one person racing: the loser finds what the winner created.
      if (!isConflict(error)) throw error;
      return this.resolve(tenant, provider, profile);
    }
  }

  private async resolve(
    tenant: Tenant,
    provider: string,
    profile: ProviderProfile,
  ): Promise<SocialSignIn> {
    const identity = await this.identities.find(provider, profile.subject);
    if (identity) {
      const user = await this.users.findOne({ id: identity.userId, deletedAt: IsNull() });
      if (user) {
        assertActive(user);
        await this.identities.touch(identity.id, profile.email ?? identity.email);
        return { user, outcome: 'identity', identityId: identity.id };
      }
      // Its account was deleted: the identity opens nothing any more and may link afresh.
      await this.identities.unlink(identity.userId, identity.id);
    }

    if (profile.email === null) throw new SocialLoginFailure('email_required', 'email_missing');
    const existing = await this.accounts.findForLogin(profile.email);
    if (existing) {
      if (!profile.emailVerified) {
        throw new SocialLoginFailure('account_exists', 'email_not_verified', {
          userId: existing.id,
        });
      }
      // Pre-account takeover (review F6): whoever registered an address they do not own keeps
      // its password; linking would hand them what the mailbox's owner then puts there.
      if (!existing.emailVerified) {
        throw new SocialLoginFailure('account_exists', 'account_not_verified', {
          userId: existing.id,
        });
      }
      assertActive(existing);
      const linked = await this.transactions.run((manager) =>
        this.identities.link(manager, {
          userId: existing.id,
          provider,
          subject: profile.subject,
          email: profile.email,
        }),
      );
      await this.identities.announceLinked(existing, {
        identityId: linked.id,
        provider,
        method: 'social',
        label: providerLabel(provider),
        linkedAt: linked.createdAt,
      });
      return { user: existing, outcome: 'linked', identityId: linked.id };
    }

    if (tenant.isRoot || !tenant.settings.allowSignup) {
      throw new SocialLoginFailure('signup_disabled', 'signup_disabled');
    }
    const email = profile.email;
    const { user, identityId } = await this.transactions.run(async (manager) => {
      const created = await this.accounts.create(
        manager,
        {
          email,
          name: profile.name ?? undefined,
          emailVerified: profile.emailVerified,
          roleNames: ['member'],
        },
        null,
      );
      const link = await this.identities.link(manager, {
        userId: created.id,
        provider,
        subject: profile.subject,
        email,
      });
      return { user: created, identityId: link.id };
    });
    await this.accounts.announceCreated(user, 'social');
    return { user, outcome: 'created', identityId };
  }
}

const PROVIDER_LABELS: Readonly<Record<string, string>> = { google: 'Google', github: 'GitHub' };

function providerLabel(provider: string): string {
  return PROVIDER_LABELS[provider] ?? provider;
}

function assertActive(user: User): void {
  if (user.status !== 'active') {
    throw new SocialLoginFailure('account_disabled', 'user_disabled', { userId: user.id });
  }
}

function isConflict(error: unknown): boolean {
  if (error instanceof AppError) return error.code === ErrorCode.Conflict;
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = (error as { driverError?: { code?: string } }).driverError;
  const code = driverError?.code ?? (error as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
