import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

const VALID_REQUEST_ID = /^[\w.-]{1,128}$/;
const REQUEST_ID = Symbol('requestId');

type WithRequestId = IncomingMessage & { [REQUEST_ID]?: string };

/**
 * Keeps a caller's request id when it is safe to echo into headers and logs, and otherwise
 * mints one; the answer carries it. Works on Node's own request and response, so the routes
 * served ahead of Express (`serveOidcAhead`) get the same id as every other.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  // randomUUID draws from Node's cached entropy pool: cheaper than a v7 id on every request.
  const id =
    typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  (req as WithRequestId)[REQUEST_ID] = id;
  res.setHeader('X-Request-Id', id);
  return id;
}

/** Runs first, so even a request refused by the body parser has an id. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  assignRequestId(req, res);
  next();
}

export function requestIdOf(req: IncomingMessage): string | undefined {
  return (req as WithRequestId)[REQUEST_ID];
}
