import type { ServerResponse } from 'node:http';
import { AppError, type FieldError } from '../errors/app-error';
import { ERROR_TITLES, ErrorCode } from '../errors/error-code';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  requestId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const AUTH_CHALLENGE = 'Bearer realm="gatehouse"';

export function problemType(code: ErrorCode): string {
  return `urn:gatehouse:problem:${code}`;
}

export function problemFromError(error: AppError, requestId: string | undefined): ProblemBody {
  return {
    ...error.extensions,
    type: problemType(error.code),
    title: ERROR_TITLES[error.code],
    status: error.status,
    detail: error.detail ?? ERROR_TITLES[error.code],
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * Writes an RFC 9457 answer. 401s carry the RFC 6750 challenge, with `error="invalid_token"`
 * when a presented token was refused.
 */
export function sendProblem(
  res: ServerResponse,
  error: AppError,
  requestId: string | undefined,
): void {
  if (res.headersSent) return;
  const body = problemFromError(error, requestId);
  for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
  if (error.status === 401) {
    const tokenRefused =
      error.code === ErrorCode.InvalidToken || error.code === ErrorCode.TokenExpired;
    res.setHeader(
      'WWW-Authenticate',
      tokenRefused
        ? `${AUTH_CHALLENGE}, error="invalid_token", error_description="${body.detail.replace(/"/g, "'")}"`
        : AUTH_CHALLENGE,
    );
  }
  res.setHeader('Cache-Control', 'no-store');
  // Node's own response, not Express's: routes served ahead of Express answer problems too.
  res.statusCode = error.status;
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
  res.end(JSON.stringify(body));
}
