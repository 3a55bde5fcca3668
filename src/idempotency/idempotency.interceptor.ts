import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Injectable,
  Logger,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { Request, Response } from 'express';
import { catchError, from, mergeMap, type Observable, of, throwError } from 'rxjs';
import type { Principal } from '../auth/principal/principal';
import { ONE_TIME_SECRET_METADATA } from '../common/decorators/one-time-secret.decorator';
import { principalOf } from '../common/http/request-context';
import { IdempotencyKeyStore, type IdempotencyScope, type Replay } from './idempotency-key.store';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey, requestHash } from './idempotency-request';

export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const WITHHELD_HEADER = 'Idempotent-Secret-Withheld';
/** Headers of a first answer that a replay gives again. */
const REPLAYED_HEADERS = ['location'];

/**
 * `Idempotency-Key` on authenticated POSTs (bound by `bindIdempotentRoutes`). A request without
 * the header passes straight through: no database round trip. With it, the first request under
 * the key runs and its 2xx answer is kept for 24 hours; a retry with the same request gets that
 * answer again with `Idempotent-Replayed: true`. A failed request frees the key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(private readonly store: IdempotencyKeyStore) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const header = req.headers[IDEMPOTENCY_KEY_HEADER];
    if (header === undefined) return next.handle();
    const key = parseIdempotencyKey(header);
    const principal = principalOf(req);
    if (!principal) return next.handle();

    const res = http.getResponse<Response>();
    const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
    const scope = scopeOf(principal, `${req.method} ${route}`, key);
    const claim = await this.store.claim(scope, requestHash(req.originalUrl, req.body));
    if (claim.kind === 'replay') return of(replay(res, claim.answer));

    const handler = context.getHandler();
    const status =
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
      HttpStatus.CREATED;
    const secretFields =
      (Reflect.getMetadata(ONE_TIME_SECRET_METADATA, handler) as string[] | undefined) ?? [];
    return next.handle().pipe(
      catchError((error: unknown) =>
        from(this.release(claim.id)).pipe(mergeMap(() => throwError(() => error))),
      ),
      mergeMap(async (body: unknown) => {
        if (status >= 200 && status < 300) {
          await this.complete(claim.id, {
            status,
            headers: replayedHeaders(res),
            body,
            secretFields,
          });
        }
        return body;
      }),
    );
  }

  /**
   * The work is done: a failure to record its answer must not turn it into an error. The key
   * stays "in progress" until its lease ends, so a retry meanwhile gets 409, not a second run.
   */
  private async complete(id: string, answer: Parameters<IdempotencyKeyStore['complete']>[1]) {
    try {
      await this.store.complete(id, answer);
    } catch (error) {
      this.logger.warn(`Keeping an idempotent answer failed: ${String(error)}`);
    }
  }

  private async release(id: string): Promise<void> {
    try {
      await this.store.release(id);
    } catch (error) {
      this.logger.warn(`Releasing an idempotency key failed: ${String(error)}`);
    }
  }
}

function scopeOf(principal: Principal, route: string, idempotencyKey: string): IdempotencyScope {
  // A third-party app acting for a user does not share the user's own keys.
  const principalType =
    principal.type === 'user' && principal.scopes !== null ? 'user_oauth' : principal.type;
  return {
    tenantId: principal.tenant.id,
    principalType,
    principalId: principal.id,
    route,
    idempotencyKey,
  };
}

function replayedHeaders(res: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.getHeader(name);
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** Sets the stored answer's headers; Nest sends its body with the route's own status. */
function replay(res: Response, answer: Replay): unknown {
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader(REPLAYED_HEADER, 'true');
  if (answer.withheld.length > 0) res.setHeader(WITHHELD_HEADER, answer.withheld.join(', '));
  return answer.body;
}
