import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AuditService } from '../../audit/audit.service';
import type { AppError } from '../errors/app-error';
import { toAppError } from '../errors/error-mapping';
import { sendProblem } from '../http/problem';
import { deniedPermissionOf, principalOf } from '../http/request-context';
import { requestIdOf } from '../middleware/request-id.middleware';

/**
 * The catch-all: every error leaves as problem+json. Unexpected ones are logged with their
 * stack under the request id, and the client learns only that id.
 *
 * It is also where `access.denied` is recorded: a 403 can come from the guard (the route's
 * permission), from a service's object- or field-level check, or from a privilege-escalation
 * check, and recording it here, once, covers every one of them.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly audit: AuditService) {}

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
    if (appError.status === 403) this.recordDenial(req, appError);
    sendProblem(res, appError, requestIdOf(req));
  }

  private recordDenial(req: Request, error: AppError): void {
    const principal = principalOf(req);
    // Without a caller there is nobody to hold to account (a route without a rule, say).
    if (!principal) return;
    const denied = deniedPermissionOf(req);
    // A service's check names no subject here, but the route's `:id` says what was refused.
    const id = (req.params as Record<string, unknown> | undefined)?.id;
    const targetId = typeof id === 'string' ? id : null;
    const targetType = denied?.subject ?? (targetId ? 'resource' : null);
    this.audit.record({
      action: 'access.denied',
      outcome: 'failure',
      tenantId: principal.tenant.id,
      actor: { type: principal.type, id: principal.id },
      ...(targetType ? { target: { type: targetType, id: targetId } } : {}),
      metadata: {
        ...(denied ? { required: `${denied.action} ${denied.subject}` } : {}),
        error: error.code,
        method: req.method,
        route: (req.route as { path?: string } | undefined)?.path ?? req.path,
      },
    });
  }
}
