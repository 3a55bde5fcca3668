import cors, { type CorsOptions } from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-API-Key',
      'X-Request-Id',
      'Idempotency-Key',
      'If-Match',
    ],
    exposedHeaders: [
      'X-Request-Id',
      'ETag',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'WWW-Authenticate',
      'Idempotent-Replayed',
      'Idempotent-Secret-Withheld',
    ],
    credentials: false,
    maxAge: 600,
  };
}

/**
 * The CORS middleware, skipped for requests without an `Origin` header (servers, CLIs, same-origin
 * navigations): CORS only ever concerns requests a browser tags with their origin, and most API
 * traffic carries none. Every answer is `no-store`, so no shared cache can mix up the two.
 */
export function corsMiddleware(
  config: AppConfig,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const handler = cors(corsOptions(config));
  return (req, res, next) => {
    if (req.headers.origin === undefined) next();
    else handler(req, res, next);
  };
}
