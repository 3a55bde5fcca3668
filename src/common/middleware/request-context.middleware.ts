import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { CLS_ID, type ClsService } from 'nestjs-cls';
import { clientInfoOf } from '../http/request-context';
import { requestIdOf } from './request-id.middleware';

/**
 * Opens the request's async context (nestjs-cls, on AsyncLocalStorage) with its id and client
 * information, for logs and audit events deep in services. Mounted by hand rather than through
 * `ClsMiddleware` so that it runs before the body parsers and costs one synchronous `run` per
 * request, without the plugin and proxy-provider steps Gatehouse does not use.
 */
export function requestContextMiddleware(cls: ClsService): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    cls.run(() => {
      cls.set(CLS_ID, requestIdOf(req));
      cls.set('client', clientInfoOf(req));
      next();
    });
  };
}
