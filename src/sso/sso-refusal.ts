/**
 * Why an SSO answer was refused, as a stable reason for the audit log (`auth.sso.login`
 * failure). The client only ever learns `sso_failed`: a reason would tell an attacker which
 * check to work on next.
 */
export class SsoRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string = reason,
    /** The account concerned, when the refusal is about one (disabled, say). */
    readonly userId: string | null = null,
  ) {
    super(message);
    this.name = 'SsoRefusal';
  }
}

/**
 * The asserted email belongs to an account whose own email is not verified: it may have been
 * registered by someone who does not own the address (pre-account takeover, review F6). As in
 * the social flow, the app learns `error=account_exists` on its redirect URI, not a 401.
 */
export class SsoAccountExists extends SsoRefusal {
  constructor(userId: string) {
    super('account_not_verified', 'The account with this email is not verified', userId);
    this.name = 'SsoAccountExists';
  }
}
