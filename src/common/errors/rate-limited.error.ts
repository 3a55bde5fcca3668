import { AppError } from './app-error';
import { ErrorCode } from './error-code';

/**
 * The one 429 of the API (rate limits and login lockout alike): `Retry-After` in whole seconds,
 * never 0, and the RateLimit-* fields of the limit that refused the request.
 */
export function rateLimitedError(
  retryAfterSeconds: number,
  options: { limit?: number; detail?: string } = {},
): AppError {
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  return new AppError(429, ErrorCode.RateLimited, {
    detail: options.detail ?? `Too many requests. Retry after ${retryAfter} seconds.`,
    headers: {
      'Retry-After': retryAfter,
      ...(options.limit !== undefined
        ? {
            'RateLimit-Limit': String(options.limit),
            'RateLimit-Remaining': '0',
            'RateLimit-Reset': retryAfter,
          }
        : {}),
    },
  });
}
