import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline';

const req = {} as Request;
const res = {} as Response;

/** Runs the chain and answers how it ended: `done()`, `done(error)`, or not at all. */
function run(
  handlers: RequestHandler[],
): Promise<{ ended: 'next' | 'error' | 'answered'; error?: unknown }> {
  return new Promise((resolve) => {
    const done: NextFunction = (error?: unknown) =>
      resolve(error === undefined ? { ended: 'next' } : { ended: 'error', error });
    pipeline(handlers)(req, res, done);
    // A handler that answers settles nothing: give any asynchronous step time to show.
    setTimeout(() => resolve({ ended: 'answered' }), 20);
  });
}

describe('pipeline', () => {
  it('runs every handler in order, then hands the request on once', () => {
    const calls: string[] = [];
    const step =
      (name: string): RequestHandler =>
      (_req, _res, next) => {
        calls.push(name);
        next();
      };
    let handedOn = 0;
    pipeline([step('a'), step('b'), step('c')])(req, res, () => handedOn++);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(handedOn).toBe(1);
  });

  it('goes on from a handler that calls next later, as an asynchronous one does', async () => {
    const calls: string[] = [];
    const result = await run([
      (_req, _res, next) => setTimeout(() => (calls.push('late'), next()), 1),
      (_req, _res, next) => (calls.push('after'), next()),
    ]);
    expect(result.ended).toBe('next');
    expect(calls).toEqual(['late', 'after']);
  });

  it('skips the rest on an error passed to next, thrown, or rejected', async () => {
    const failure = new Error('refused');
    const never: RequestHandler = () => {
      throw new Error('ran after an error');
    };
    for (const failing of [
      ((_req, _res, next) => next(failure)) as RequestHandler,
      (() => {
        throw failure;
      }) as RequestHandler,
      (async () => {
        await Promise.resolve();
        throw failure;
      }) as RequestHandler,
    ]) {
      expect(await run([failing, never])).toEqual({ ended: 'error', error: failure });
    }
  });

  it('ends at a handler that answers without calling next', async () => {
    let reached = false;
    const result = await run([
      () => undefined,
      (_req, _res, next) => {
        reached = true;
        next();
      },
    ]);
    expect(result.ended).toBe('answered');
    expect(reached).toBe(false);
  });
});
