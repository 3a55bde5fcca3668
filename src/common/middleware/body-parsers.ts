import type { NextFunction, Request, RequestHandler, Response } from 'express';
import * as express from 'express';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../http/problem';
import { requestIdOf } from './request-id.middleware';

export const BODY_LIMIT = '100kb';

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

/**
 * Express body parsers whose failures answer problem+json. Nest's own parsers report through
 * Express's default handler (HTML); these never let a parse error become a 500. Paths that
 * parse their own bodies (the OAuth server) are skipped.
 */
export function bodyParsers(skipPrefixes: readonly string[]): RequestHandler[] {
  const wrap =
    (parser: RequestHandler): RequestHandler =>
    (req: Request, res: Response, next: NextFunction) => {
      if (skipPrefixes.some((prefix) => req.path === prefix || req.path.startsWith(`${prefix}/`))) {
        next();
        return;
      }
      parser(req, res, (error?: unknown) => {
        if (error) sendProblem(res, toProblem(error as BodyParserError), requestIdOf(req));
        else next();
      });
    };
  return [
    wrap(
      express.json({
        limit: BODY_LIMIT,
        strict: true,
        type: ['application/json', 'application/*+json'],
      }),
    ),
    wrap(express.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 200 })),
  ];
}
