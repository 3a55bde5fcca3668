import { applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { AppError } from '../common/errors/app-error';
import { Authenticated } from '../common/decorators/access.decorators';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import type { Principal } from '../auth/principal/principal';

/**
 * The user behind a first-party token. Account self-service (sessions, password, MFA, email,
 * linked identities, logging out everywhere) is for the signed-in user only: an API key acts for
 * its creator, and an OAuth token for a third-party app, and neither may change how the user
 * signs in or end the user's sessions.
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

/** A route of account self-service: any signed-in user, with a first-party token (see above). */
export function AccountSelfService(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    Authenticated(),
    ApiForbiddenResponse({
      description:
        '`forbidden`: an OAuth token or an API key (account self-service takes a first-party token)',
      type: ProblemResponseDto,
    }),
  );
}
