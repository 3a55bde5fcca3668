/**
 * The `error` a social login sends back to the app's redirect URI. Stable values, documented
 * in docs/social-login.md: apps branch on them.
 */
export type SocialLoginError =
  /** The user cancelled at the provider, or the provider refused them. */
  | 'access_denied'
  /** The provider could not be reached, timed out, or said it was unavailable. */
  | 'temporarily_unavailable'
  /** The provider answered with another OAuth error. */
  | 'provider_error'
  /** The provider's answer was refused (ID token, nonce, state) or the browser is not the one that started. */
  | 'login_failed'
  /** The provider gave no email address. */
  | 'email_required'
  /**
   * SPEC §13, §14: an account has this email, and the provider does not say it is verified or
   * the account's own email is not verified: the user signs in and links from there.
   */
  | 'account_exists'
  /** No account yet and the tenant does not allow sign-up. */
  | 'signup_disabled'
  /** The account is disabled or its tenant suspended. */
  | 'account_disabled'
  /** Something failed on our side; the request id is in the log. */
  | 'server_error';

/**
 * A social login that ends without a code. `reason` is finer than `error` and goes only to the
 * audit log (`auth.social.login`, outcome failure).
 */
export class SocialLoginFailure extends Error {
  constructor(
    readonly error: SocialLoginError,
    readonly reason: string,
    readonly metadata: Record<string, unknown> = {},
  ) {
    super(`Social login refused: ${reason}`);
    this.name = 'SocialLoginFailure';
  }
}
