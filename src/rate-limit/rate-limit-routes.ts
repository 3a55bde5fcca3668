import type { RouteRateLimit } from './rate-limit.decorator';

/**
 * The credential routes and their stricter limit, by method and Express route path. Declared
 * here rather than on the handlers so that a route gets its limit the moment it exists,
 * whichever module adds it. MFA verification shares the login limit: a 6-digit code is the
 * easiest secret of the API to guess.
 */
export const ROUTE_RATE_LIMITS: Readonly<Record<string, RouteRateLimit>> = {
  'POST /v1/auth/login': 'login',
  'POST /v1/auth/mfa/verify': 'login',
  // The OAuth login form checks the same password and MFA code as /v1/auth/login.
  'POST /oidc/interaction/:uid/login': 'login',
  'POST /v1/auth/register': 'register',
  'POST /v1/auth/password/forgot': 'passwordForgot',
  'POST /v1/auth/password/reset': 'passwordReset',
  'POST /v1/auth/refresh': 'refresh',
};
