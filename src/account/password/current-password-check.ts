import { Injectable } from '@nestjs/common';
import { LoginDto } from '../../auth/dto/auth.dto';
import { LoginPolicies } from '../../auth/login/login-policies';
import type { LoginAttempt } from '../../auth/login/login-policy';
import { PasswordHasher } from '../../auth/passwords/password-hasher.service';
import type { ClientInfo } from '../../common/http/request-context';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import type { User } from '../../users/entities/user.entity';

/**
 * The signed-in user's current password, asked again before a password change or MFA disable.
 * Whoever holds a stolen access token could otherwise use it as an unthrottled password oracle
 * (review F9): a wrong password counts as a failed login of the (tenant, email), and a locked
 * one answers 429 before the password is checked.
 */
@Injectable()
export class CurrentPasswordCheck {
  constructor(
    private readonly hasher: PasswordHasher,
    private readonly tenants: TenantDirectory,
    private readonly policies: LoginPolicies,
  ) {}

  /** True when the password is right; throws 429 `rate_limited` while the login is locked. */
  async verify(user: User, password: string, client: ClientInfo): Promise<boolean> {
    const tenant = await this.tenants.findById(user.tenantId);
    // The attempt carries no password: policies key on who and from where, never on it.
    const input = Object.assign(new LoginDto(), {
      tenant: tenant?.slug ?? '',
      email: user.email,
      password: '',
    });
    const attempt: LoginAttempt = { input, client, tenant, user };
    await this.policies.beforeCurrentPasswordCheck(attempt);
    const valid = user.passwordHash
      ? await this.hasher.verify(user.passwordHash, password)
      : (await this.hasher.verifyDummy(password), false);
    if (!valid) await this.policies.onWrongCurrentPassword(attempt);
    return valid;
  }
}
