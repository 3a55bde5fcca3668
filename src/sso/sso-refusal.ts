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
