import type {
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
} from '@nestjs/swagger';
import { ONE_TIME_SECRET_EXTENSION } from '../common/decorators/one-time-secret.decorator';
import { REPLAYED_HEADER, WITHHELD_HEADER } from './idempotency.interceptor';

const KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description:
    'Makes a retry safe: the same key with the same request within 24 hours answers the first answer again (`Idempotent-Replayed: true`) instead of running twice. Per caller and route.',
  schema: { type: 'string' as const, minLength: 1, maxLength: 255, pattern: '^[!-~]+$' },
};

const PROBLEMS: Record<string, string> = {
  '400': '`validation_failed`: an `Idempotency-Key` that is not 1 to 255 visible ASCII characters',
  '409': '`conflict`: a request with this `Idempotency-Key` is still running (with `Retry-After`)',
  '422': '`idempotency_key_reused`: this `Idempotency-Key` was used for another request',
};

/**
 * Documents `Idempotency-Key` on every authenticated POST (those that state a security
 * requirement; `bindIdempotentRoutes` picks the same routes by their access rule): the header,
 * the replay headers of the success answer, and the problems it can add.
 */
export function documentIdempotency(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    const operation = item.post;
    if (!operation?.security?.length) continue;
    operation.parameters = [...(operation.parameters ?? []), KEY_PARAMETER];
    const secrets = (operation as unknown as Record<string, unknown>)[ONE_TIME_SECRET_EXTENSION];
    for (const [status, response] of Object.entries(operation.responses)) {
      if (!/^2\d\d$/.test(status) || !response || isReference(response)) continue;
      response.headers = {
        ...response.headers,
        [REPLAYED_HEADER]: {
          description: '`true` when this is the stored answer of an earlier request with the key',
          schema: { type: 'string', enum: ['true'] },
        },
        ...(Array.isArray(secrets)
          ? {
              [WITHHELD_HEADER]: {
                description: `On a replay more than 10 minutes after the first answer: the one-time secret fields left out (${secrets.join(', ')})`,
                schema: { type: 'string' },
              },
            }
          : {}),
      };
    }
    for (const [status, description] of Object.entries(PROBLEMS)) {
      addProblem(operation, status, description);
    }
  }
  return document;
}

/** A problem answer like the route's 401 (which every authenticated route documents). */
function addProblem(operation: OperationObject, status: string, description: string): void {
  const existing = operation.responses[status];
  if (existing && !isReference(existing)) {
    existing.description = `${existing.description}; or ${description}`;
    return;
  }
  if (existing) return;
  const template = operation.responses['401'];
  operation.responses[status] = {
    description,
    ...(template && !isReference(template) && template.content
      ? { content: template.content }
      : {}),
  };
}

function isReference(value: ResponseObject | ReferenceObject): value is ReferenceObject {
  return '$ref' in value;
}
