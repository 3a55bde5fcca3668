import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toAppError } from '../errors/error-mapping';
import { sendProblem } from '../http/problem';
import { requestIdOf } from '../middleware/request-id.middleware';

/**
 * The catch-all: every error leaves as problem+json. Unexpected ones are logged with their
 * stack under the request id, and the client learns only that id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { appError, unexpected } = toAppError(exception);
    if (unexpected) {
      this.logger.error(
        `Unhandled error on ${req.method} ${req.path}`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    } else if (appError.status >= 500) {
      this.logger.warn(`${appError.status} on ${req.method} ${req.path}: ${appError.code}`);
    }
    sendProblem(res, appError, requestIdOf(req));
  }
}
