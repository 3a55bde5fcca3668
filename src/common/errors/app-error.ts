import { ErrorCode } from './error-code';

export interface FieldError {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  errors?: FieldError[];
  /** Extra members of the problem body (e.g. `mfaToken`). Never put a secret of someone else here. */
  extensions?: Record<string, unknown>;
  /** Response headers that belong to this answer (e.g. `Retry-After`). */
  headers?: Record<string, string>;
}

/**
 * The one exception type of the domain. Services throw it with a stable code; the problem
 * details filter turns it into RFC 9457 JSON. Its message is for logs; clients get `detail`.
 */
export class AppError extends Error {
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    options: AppErrorOptions = {},
  ) {
    super(options.detail ?? code);
    this.name = 'AppError';
    this.detail = options.detail;
    this.errors = options.errors;
    this.extensions = options.extensions;
    this.headers = options.headers;
  }

  static validation(errors: FieldError[], detail = 'The request is not valid.'): AppError {
    return new AppError(400, ErrorCode.ValidationFailed, { detail, errors });
  }

  static badRequest(code: ErrorCode, detail: string): AppError {
    return new AppError(400, code, { detail });
  }

  static unauthorized(detail = 'Authentication is required.'): AppError {
    return new AppError(401, ErrorCode.Unauthorized, { detail });
  }

  static invalidToken(detail = 'The token is not valid.'): AppError {
    return new AppError(401, ErrorCode.InvalidToken, { detail });
  }

  static forbidden(detail = 'You are not allowed to do this.'): AppError {
    return new AppError(403, ErrorCode.Forbidden, { detail });
  }

  static notFound(detail = 'The resource does not exist.'): AppError {
    return new AppError(404, ErrorCode.NotFound, { detail });
  }

  static conflict(detail: string, field?: string): AppError {
    return new AppError(409, ErrorCode.Conflict, {
      detail,
      errors: field ? [{ field, message: 'already in use' }] : undefined,
    });
  }
}
