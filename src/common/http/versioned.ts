import {
  applyDecorators,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type Type,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiPreconditionFailedResponse,
  ApiProperty,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { etagOf, IfMatch } from './if-match';
import { ProblemResponseDto } from './problem-response.dto';

/** Sets `ETag` from the `version` of the object a handler answers. */
@Injectable()
export class ETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((body: unknown) => {
        const version = (body as { version?: unknown } | null)?.version;
        if (typeof version === 'number') res.setHeader('ETag', etagOf(version));
        return body;
      }),
    );
  }
}

/** The request's `If-Match`, parsed; the service checks it against the version it reads. */
export const IfMatchHeader = createParamDecorator(
  (_: unknown, context: ExecutionContext): IfMatch =>
    IfMatch.parse(context.switchToHttp().getRequest<Request>().headers['if-match']),
);

const ETAG_HEADER = {
  ETag: {
    description: 'The version of the object, for `If-Match` on its PATCH or PUT',
    schema: { type: 'string', example: '"3"' },
  },
};

/** A GET of one versioned object: its answer carries `ETag`. */
export function VersionedRead(type: Type<unknown>): MethodDecorator {
  return applyDecorators(
    UseInterceptors(ETagInterceptor),
    ApiOkResponse({ type, headers: ETAG_HEADER }),
  );
}

/**
 * A PATCH or PUT of one versioned object: it takes `If-Match` (read with `@IfMatchHeader()`),
 * and its answer carries the new `ETag`.
 */
export function VersionedWrite(type: Type<unknown>): MethodDecorator {
  return applyDecorators(
    UseInterceptors(ETagInterceptor),
    ApiOkResponse({ type, headers: ETAG_HEADER }),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'The ETag the change is based on: if the object has changed since, nothing is written ' +
        'and the answer is 412. `*` or no header: the write proceeds whatever the version.',
      schema: { type: 'string', example: '"3"' },
    }),
    ApiPreconditionFailedResponse({
      description:
        '`precondition_failed`: the object changed since the If-Match version (read it again), ' +
        'or If-Match is not `*` nor a list of entity tags',
      type: ProblemResponseDto,
    }),
  );
}

/** The `version` member of a versioned object's answer: the same number its ETag quotes. */
export function VersionProperty(options: { required?: boolean } = {}): PropertyDecorator {
  return ApiProperty({
    required: options.required ?? true,
    type: 'integer',
    minimum: 1,
    example: 3,
    description: 'Moves on every change of the object; its ETag is this number in quotes',
  });
}
