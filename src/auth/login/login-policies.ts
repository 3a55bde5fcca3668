import { Injectable } from '@nestjs/common';
import type { Tenant } from '../../tenants/entities/tenant.entity';
import type { User } from '../../users/entities/user.entity';
import type { SessionMethod } from '../tokens/session.service';
import type {
  FederatedLogin,
  LoginAttempt,
  LoginFailureReason,
  LoginPolicy,
  VerifiedLogin,
} from './login-policy';

/**
 * The login policies contributed by feature modules, which register themselves at start
 * (`onModuleInit`), so password login grows rules without the auth module knowing them.
 */
@Injectable()
export class LoginPolicies {
  private policies: LoginPolicy[] = [];

  register(policy: LoginPolicy): void {
    this.policies = [...this.policies.filter((p) => p.name !== policy.name), policy].sort(
      (a, b) => a.order - b.order,
    );
  }

  async beforePasswordCheck(attempt: LoginAttempt): Promise<void> {
    for (const policy of this.policies) await policy.beforePasswordCheck?.(attempt);
  }

  async onFailure(attempt: LoginAttempt, reason: LoginFailureReason): Promise<void> {
    for (const policy of this.policies) await policy.onFailure?.(attempt, reason);
  }

  /** The session method the last policy that named one chose, else `password`. */
  async afterPasswordCheck(login: VerifiedLogin): Promise<SessionMethod> {
    let method: SessionMethod = 'password';
    for (const policy of this.policies)
      method = (await policy.afterPasswordCheck?.(login)) ?? method;
    return method;
  }

  async onSuccess(login: VerifiedLogin): Promise<void> {
    for (const policy of this.policies) await policy.onSuccess?.(login);
  }

  async beforeCurrentPasswordCheck(attempt: LoginAttempt): Promise<void> {
    for (const policy of this.policies) await policy.beforeCurrentPasswordCheck?.(attempt);
  }

  async onWrongCurrentPassword(attempt: LoginAttempt): Promise<void> {
    for (const policy of this.policies) await policy.onWrongCurrentPassword?.(attempt);
  }

  async afterPasswordReset(account: { tenant: Tenant; user: User }): Promise<void> {
    for (const policy of this.policies) await policy.afterPasswordReset?.(account);
  }

  async afterFederatedLogin(login: FederatedLogin): Promise<void> {
    for (const policy of this.policies) await policy.afterFederatedLogin?.(login);
  }
}
