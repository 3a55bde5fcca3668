import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import type { AppConfig } from '../../config/app-config';

/**
 * Only origins on the allowlist get `Access-Control-Allow-Origin`; any other origin gets no CORS
 * headers at all, so the browser refuses to hand it the answer. Credentials (cookies) are not
 * used by the API: tokens travel in headers.
 */
export function corsOptions(config: AppConfig): CorsOptions {
  const allowAll = config.http.corsOrigins.includes('*');
  const allowed = new Set(config.http.corsOrigins);
  return {
    origin: (origin, callback) =>
      callback(null, origin !== undefined && (allowAll || allowed.has(origin))),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id'],
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'WWW-Authenticate',
    ],
    credentials: false,
    maxAge: 600,
  };
}
