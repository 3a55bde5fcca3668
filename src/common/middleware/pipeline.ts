import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Runs middleware in order as one Express layer. Express's router walks its stack layer by layer
 * for every request, and each middleware layer it enters costs a step of that walk (path match,
 * URL bookkeeping, closures). Every request passes through all of the global middleware, so
 * they are handed to the router as one (docs/performance.md).
 *
 * Within the chain a handler behaves as under the router: an error (passed to `next`, thrown, or
 * rejected by a returned promise, as Express 5 does) skips the rest and goes on to Express's
 * error handling; a handler that answers without calling `next` ends the request there. (No
 * handler here calls `next('route')`: it would skip the rest of the chain, not just the layer.)
 */
export function pipeline(handlers: readonly RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, done: NextFunction) => {
    let index = 0;
    const next = (error?: unknown): void => {
      if (error) {
        done(error);
        return;
      }
      const handler = handlers[index++];
      if (handler === undefined) {
        done();
        return;
      }
      try {
        const result: unknown = handler(req, res, next);
        if (isPromise(result)) {
          result.then(undefined, (reason: unknown) =>
            done(reason ?? new Error('Rejected promise in middleware')),
          );
        }
      } catch (thrown) {
        done(thrown);
      }
    };
    next();
  };
}

function isPromise(value: unknown): value is Promise<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
