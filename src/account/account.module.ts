import { Global, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { LoginPolicies } from '../auth/login/login-policies';
import { AuthenticationHooks } from '../common/guards/authentication-hooks';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { Session } from '../auth/entities/session.entity';
import { TenantsModule } from '../tenants/tenants.module';
import { TenantDirectory } from '../tenants/tenant-directory.service';
import { UserAccountsModule } from '../users/user-accounts.module';
import { UserInvitations } from '../users/user-invitations';
import { AccountLockNotices } from './account-lock-notices';
import { AccountMails } from './account-mails';
import { BackgroundTasks } from './background-tasks';
import { SignInMethodNotices } from './sign-in-method-notices';
import { EmailVerificationController } from './email-verification/email-verification.controller';
import { EmailVerificationPolicy } from './email-verification/email-verification.policy';
import { EmailVerificationService } from './email-verification/email-verification.service';
import { ActionToken } from './entities/action-token.entity';
import { MfaRecoveryCode } from './entities/mfa-recovery-code.entity';
import { UserMfaState } from './entities/user-mfa-state.entity';
import { AdminMfaGate } from './mfa/admin-mfa.gate';
import { MfaController } from './mfa/mfa.controller';
import { MfaEnrollmentService } from './mfa/mfa-enrollment.service';
import { MfaLoginService } from './mfa/mfa-login.service';
import { SecondFactorService } from './mfa/second-factor.service';
import { CurrentPasswordCheck } from './password/current-password-check';
import { PasswordController } from './password/password.controller';
import { PasswordLinksService } from './password/password-links.service';
import { PasswordService } from './password/password.service';
import { SessionsController } from './sessions/sessions.controller';
import { UserSessionsService } from './sessions/user-sessions.service';
import { ActionTokenService } from './tokens/action-token.service';

/**
 * The account lifecycle: password reset and invite links, email verification, the caller's
 * sessions, password change and TOTP MFA. Global so that the modules creating accounts (users,
 * tenants) can send invites with `PasswordLinksService.sendInvite()` without importing this
 * one, which itself depends on them.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([ActionToken, MfaRecoveryCode, UserMfaState, Session, RefreshToken]),
    AuthModule,
    UserAccountsModule,
    TenantsModule,
  ],
  controllers: [PasswordController, EmailVerificationController, SessionsController, MfaController],
  providers: [
    AccountMails,
    AccountLockNotices,
    BackgroundTasks,
    CurrentPasswordCheck,
    SignInMethodNotices,
    ActionTokenService,
    PasswordLinksService,
    PasswordService,
    EmailVerificationService,
    EmailVerificationPolicy,
    UserSessionsService,
    SecondFactorService,
    MfaEnrollmentService,
    MfaLoginService,
    AdminMfaGate,
  ],
  exports: [PasswordLinksService, EmailVerificationService, BackgroundTasks, AccountLockNotices],
})
export class AccountModule implements OnModuleInit {
  constructor(
    private readonly policies: LoginPolicies,
    private readonly emailVerification: EmailVerificationPolicy,
    private readonly mfa: MfaLoginService,
    private readonly invitations: UserInvitations,
    private readonly links: PasswordLinksService,
    private readonly tenants: TenantDirectory,
    private readonly hooks: AuthenticationHooks,
    private readonly adminMfaGate: AdminMfaGate,
  ) {}

  onModuleInit(): void {
    this.policies.register(this.emailVerification);
    this.policies.register(this.mfa);
    this.hooks.register(this.adminMfaGate);
    // Accounts created without a password (an admin's invite, a new tenant's owner) get the
    // 7-day set-password link from here.
    this.invitations.useSender(async (user) => {
      const tenant = await this.tenants.findById(user.tenantId);
      await this.links.sendInvite(user, { name: tenant?.name ?? '' });
    });
  }
}
