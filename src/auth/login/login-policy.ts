import type { ClientInfo } from '../../common/http/request-context';
import type { Tenant } from '../../tenants/entities/tenant.entity';
import type { User } from '../../users/entities/user.entity';
import type { LoginDto } from '../dto/auth.dto';
import type { SessionMethod } from '../tokens/session.service';

export interface LoginAttempt {
  input: LoginDto;
  client: ClientInfo;
  /** null when the slug names no tenant. */
  tenant: Tenant | null;
  /** null when the tenant has no live account with that email. */
  user: User | null;
}

/** A login whose password was right, for an active user of an active tenant. */
export interface VerifiedLogin extends LoginAttempt {
  tenant: Tenant;
  user: User;
}

/**
 * A login proved by a social provider or an enterprise IdP, at the moment its one-time code is
 * redeemed and before a session opens.
 */
export interface FederatedLogin {
  user: User;
  tenant: Tenant;
  method: 'social' | 'sso';
  /**
   * SSO only: the connection is marked `idpEnforcesMfa` by an owner and the IdP's signed answer
   * showed a second factor. Always false for social logins.
   */
  idpMfa: boolean;
  /** SSO only: the connection the login came through, which the session will remember. */
  ssoConnectionId: string | null;
  client: ClientInfo;
}

export type LoginFailureReason =
  'unknown_tenant' | 'unknown_user' | 'bad_password' | 'tenant_suspended' | 'user_disabled';

/**
 * A rule that takes part in password login, contributed by the module that owns it (lockout,
 * "SSO required", email verification, MFA). Policies run in ascending `order`; any step may
 * throw an `AppError` to refuse the login.
 */
export interface LoginPolicy {
  readonly name: string;
  readonly order: number;
  /** Before the password is checked. Answers must not depend on whether the account exists. */
  beforePasswordCheck?(attempt: LoginAttempt): Promise<void>;
  /** After a refused attempt (wrong password, unknown account, disabled, suspended). */
  onFailure?(attempt: LoginAttempt, reason: LoginFailureReason): Promise<void>;
  /**
   * After the password proved right, before a session opens. May refuse (`mfa_required`), or
   * answer the method the session records (`mfa`).
   */
  afterPasswordCheck?(login: VerifiedLogin): Promise<SessionMethod | void>;
  /** After the session opened. */
  onSuccess?(login: VerifiedLogin): Promise<void>;
  /**
   * Before a signed-in user's current password is checked (password change, MFA disable): a
   * guess there is a guess at the password like a login. May refuse (lockout).
   */
  beforeCurrentPasswordCheck?(attempt: LoginAttempt): Promise<void>;
  /** After a wrong current password. A right one is not a login: nothing is reset. */
  onWrongCurrentPassword?(attempt: LoginAttempt): Promise<void>;
  /** After a password was set through a mailed link (reset, invite): the mailbox is proven. */
  afterPasswordReset?(account: { tenant: Tenant; user: User }): Promise<void>;
  /**
   * Before a social or SSO login's session opens: the same account rules apply to every way in
   * (an MFA user's second factor, a tenant's email verification). May refuse.
   */
  afterFederatedLogin?(login: FederatedLogin): Promise<void>;
}
