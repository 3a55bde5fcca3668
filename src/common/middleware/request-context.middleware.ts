import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { CLS_ID, type ClsService } from 'nestjs-cls';
import { type ClientInfo, clientInfoOf } from '../http/request-context';
import { requestIdOf } from './request-id.middleware';

/**
 * Opens the request's async context (nestjs-cls, on AsyncLocalStorage) with its id and client
 * information, for logs and audit events deep in services, and goes on inside it.
 */
export function openRequestContext(
  cls: ClsService,
  req: IncomingMessage,
  client: ClientInfo,
  next: () => void,
): void {
  cls.run(() => {
    cls.set(CLS_ID, requestIdOf(req));
    cls.set('client', client);
    next();
  });
}

/**
 * Mounted by hand rather than through `ClsMiddleware` so that it runs before the body parsers
 * and costs one synchronous `run` per request, without the plugin and proxy-provider steps
 * Gatehouse does not use.
 */
export function requestContextMiddleware(cls: ClsService): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) =>
    openRequestContext(cls, req, clientInfoOf(req), next);
}
