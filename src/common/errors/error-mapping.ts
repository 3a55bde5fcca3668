import { HttpException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error';
import { ErrorCode } from './error-code';

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.RateLimited,
  503: ErrorCode.ServiceUnavailable,
};

/** Errors of the database driver that mean "the database is unreachable", not "your query is bad". */
const UNAVAILABLE_PATTERN =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection timeout|timeout exceeded when trying to connect|terminating connection|the database system is (?:starting up|shutting down|in recovery mode)|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|database is locked|SQLITE_BUSY/i;

/**
 * TypeORM's own errors when the connection under a query runner or transaction went away. When
 * PostgreSQL drops a connection mid-transaction the driver releases its query runner, so the
 * transaction's next statement fails with QueryRunnerProviderAlreadyReleasedError rather than
 * with a network error.
 */
const UNAVAILABLE_ERRORS = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
  'ConnectionIsNotSetError',
  'CannotExecuteNotConnectedError',
]);

/** A duplicate in a unique index, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string } }).driverError;
  const code = driverError?.code ?? (error as { code?: string }).code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_ERRORS.has(error.name) || UNAVAILABLE_ERRORS.has(error.constructor.name))
    return true;
  const code = (error as { code?: string }).code ?? '';
  if (['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'].includes(code))
    return true;
  return UNAVAILABLE_PATTERN.test(`${code} ${error.message}`);
}

/**
 * Turns anything thrown into the AppError a client may see. Unknown errors become a generic
 * 500; the caller logs the original. Nothing of an unknown error's message is passed on.
 */
export function toAppError(error: unknown): { appError: AppError; unexpected: boolean } {
  if (error instanceof AppError) return { appError: error, unexpected: false };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code =
      STATUS_CODES[status] ??
      (status >= 500 ? ErrorCode.InternalError : ErrorCode.ValidationFailed);
    const response = error.getResponse();
    if (
      status === 503 &&
      typeof response === 'object' &&
      response !== null &&
      'details' in response
    ) {
      // A failed readiness check: say which component is down, and nothing else.
      return {
        appError: new AppError(503, ErrorCode.ServiceUnavailable, {
          detail: 'A dependency is not available.',
          extensions: { details: response.details },
        }),
        unexpected: false,
      };
    }
    if (status >= 500) return { appError: new AppError(status, code), unexpected: status === 500 };
    const message =
      typeof response === 'object' && response !== null
        ? (response as { message?: unknown }).message
        : response;
    const detail =
      status === 404
        ? 'The resource does not exist.'
        : typeof message === 'string'
          ? message
          : undefined;
    return { appError: new AppError(status, code, { detail }), unexpected: false };
  }
  if (error instanceof QueryFailedError && isUniqueViolation(error)) {
    return {
      appError: AppError.conflict('The resource conflicts with an existing one.'),
      unexpected: false,
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      appError: new AppError(503, ErrorCode.ServiceUnavailable, {
        detail: 'The service is temporarily unavailable. Try again shortly.',
        headers: { 'Retry-After': '2' },
      }),
      unexpected: false,
    };
  }
  return {
    appError: new AppError(500, ErrorCode.InternalError, {
      detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    }),
    unexpected: true,
  };
}
