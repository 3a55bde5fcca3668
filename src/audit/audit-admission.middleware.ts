import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { sendProblem } from '../common/http/problem';
import { requestIdOf } from '../common/middleware/request-id.middleware';
import type { AuditService } from './audit.service';

/** Probes and metrics record nothing, and must keep answering while the log is behind. */
const UNAUDITED = /^\/(?:health|metrics)(?:\/|\?|$)/;

/**
 * Back-pressure for the audit log: while its buffer is full, new requests answer 503 before any
 * work is done (any request may record an event, from a failed login to a denied read), so no
 * action happens unaudited and no buffered event is dropped to make room. Requests already in
 * flight finish and keep their events. Returns true when it answered.
 */
export function refusedWhileAuditBehind(
  audit: AuditService,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (!audit.saturated || UNAUDITED.test(req.url ?? '')) return false;
  sendProblem(
    res,
    new AppError(503, ErrorCode.ServiceUnavailable, {
      detail: 'The audit log is behind; try again shortly.',
      headers: { 'Retry-After': '1' },
    }),
    requestIdOf(req),
  );
  return true;
}

/** `refusedWhileAuditBehind` as Express middleware. */
export function auditAdmission(audit: AuditService) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (!refusedWhileAuditBehind(audit, req, res)) next();
  };
}
