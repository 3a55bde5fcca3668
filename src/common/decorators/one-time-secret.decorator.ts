import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const ONE_TIME_SECRET_METADATA = 'gatehouse:one-time-secret';
/** The same list in the operation's OpenAPI description. */
export const ONE_TIME_SECRET_EXTENSION = 'x-one-time-secrets';

/**
 * Names the top-level fields of a route's answer that hold a secret shown only once (an API
 * key, a client secret, recovery codes). An idempotent retry repeats them for 10 minutes at
 * most, sealed meanwhile; later replays leave them out (`Idempotent-Secret-Withheld`).
 */
export function OneTimeSecret(...fields: [string, ...string[]]): MethodDecorator {
  return applyDecorators(
    SetMetadata(ONE_TIME_SECRET_METADATA, fields),
    ApiExtension(ONE_TIME_SECRET_EXTENSION, fields),
  );
}
