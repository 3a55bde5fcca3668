/**
 * The provider answered, but not something we can accept (no email, a malformed profile).
 * Carries a reason for the audit log; never shown to the user as it is.
 */
export class ProviderAnswerError extends Error {
  constructor(readonly reason: 'email_missing' | 'invalid_profile') {
    super(`Provider answer refused: ${reason}`);
    this.name = 'ProviderAnswerError';
  }
}
