import type { NextFunction, Request, RequestHandler, Response } from 'express';
import * as express from 'express';
import { AppError, type FieldError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../http/problem';
import { requestIdOf } from './request-id.middleware';

export const BODY_LIMIT = '100kb';
/** Deeper JSON is no API's shape, and class-transformer would overflow its stack on it. */
export const MAX_INPUT_DEPTH = 32;
/**
 * A UTF-16 surrogate that is not half of a pair: not text at all (validators that encode it
 * throw). With the `u` flag a well-formed pair is one code point, so only lone ones match.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** NUL cannot be stored in PostgreSQL text; a lone surrogate is not text. */
function isUnsafeText(value: string): boolean {
  return value.includes('\u0000') || LONE_SURROGATE.test(value);
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

function toProblem(error: BodyParserError): AppError {
  switch (error.type) {
    case 'entity.too.large':
      return new AppError(413, ErrorCode.PayloadTooLarge, {
        detail: `The body exceeds ${BODY_LIMIT}.`,
      });
    case 'entity.parse.failed':
      return new AppError(400, ErrorCode.MalformedJson, { detail: 'The body is not valid JSON.' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, ErrorCode.UnsupportedMediaType, { detail: 'Send UTF-8 JSON.' });
    default:
      return new AppError(400, ErrorCode.ValidationFailed, {
        detail: 'The body could not be read.',
      });
  }
}

/** The first value of `input` no handler should ever see, with where it is; null when all is well. */
export function findUnsafeInput(input: unknown): FieldError | null {
  const pending: [unknown, string, number][] = [[input, '', 0]];
  while (pending.length > 0) {
    const [value, path, depth] = pending.pop() as [unknown, string, number];
    const field = (path || '(body)').slice(0, 100);
    if (typeof value === 'string') {
      if (isUnsafeText(value))
        return { field, message: 'must be valid text without NUL characters' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) {
      return { field, message: `is nested more than ${MAX_INPUT_DEPTH} levels deep` };
    }
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (isUnsafeText(key)) return { field, message: 'has a name that is not valid text' };
      pending.push([child, path ? `${path}.${key}` : key, depth + 1]);
    }
  }
  return null;
}

/**
 * Refuses, for every route at once, what parsed fine but is not input: NUL characters, broken
 * UTF-16 and absurd nesting in the body or the query string. Field validation comes later, per
 * route; this keeps such values away from validators, services and the database.
 */
function unsafeInputOf(req: Request): FieldError | null {
  return (
    (req.body === undefined ? null : findUnsafeInput(req.body)) ??
    (req.url.includes('?') ? findUnsafeInput(req.query) : null)
  );
}

/**
 * The body parser of every route: JSON or form bodies, whose failures answer problem+json
 * (Nest's own parsers report through Express's default handler, as HTML), then the unsafe-input
 * check. A request without `Content-Type` has no body either parser would read, so it goes
 * straight to that check. Paths that parse their own bodies (the OAuth server) are skipped.
 */
export function bodyParser(skipPrefixes: readonly string[]): RequestHandler {
  const json = express.json({
    limit: BODY_LIMIT,
    strict: true,
    type: ['application/json', 'application/*+json'],
  });
  const form = express.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 200 });
  const skipped = (path: string) =>
    skipPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const finish = (req: Request, res: Response, next: NextFunction) => {
    const problem = unsafeInputOf(req);
    if (!problem) return next();
    sendProblem(
      res,
      AppError.validation([problem], 'The request holds text or structure no field accepts.'),
      requestIdOf(req),
    );
  };
  const parse = (parser: RequestHandler, req: Request, res: Response, then: () => void) =>
    parser(req, res, (error?: unknown) => {
      if (error) sendProblem(res, toProblem(error as BodyParserError), requestIdOf(req));
      else then();
    });
  return (req: Request, res: Response, next: NextFunction) => {
    if (skipped(req.path)) return next();
    if (req.headers['content-type'] === undefined) return finish(req, res, next);
    parse(json, req, res, () => parse(form, req, res, () => finish(req, res, next)));
  };
}
