import { AppError } from '../common/errors/app-error';
import type { Principal } from '../auth/principal/principal';

/**
 * The user behind a first-party token. Account self-service (sessions, password, MFA, email)
 * is for the signed-in user only: an API key acts for its creator, and an OAuth token for a
 * third-party app, and neither may change how the user signs in.
 */
export function requireAccountHolder(auth: Principal): {
  userId: string;
  sessionId: string | null;
} {
  if (auth.type !== 'user' || !auth.userId || auth.scopes !== null) {
    throw AppError.forbidden('Only the signed-in user can do this, with a first-party token.');
  }
  return { userId: auth.userId, sessionId: auth.sessionId };
}
