import type {
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { PUBLIC_EXTENSION } from '../decorators/access.decorators';
import { PROBLEM_CONTENT_TYPE } from './problem';

const PROBLEM_REF = '#/components/schemas/ProblemResponseDto';
const PROBLEM_CONTENT = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_REF } } };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The answers every route can give whatever its controller says, because a layer in front of
 * the handler sends them: the body parsers (on every method: a GET with a body is parsed too)
 * and the input check, the UUID path pipe, the rate limiter and the audit admission.
 */
const PIPELINE_PROBLEMS: {
  status: string;
  description: string;
  applies: (method: string, operation: OperationObject) => boolean;
}[] = [
  {
    status: '400',
    description:
      '`validation_failed` (a refused field or query parameter, listed in `errors`) or `malformed_json`',
    applies: () => true,
  },
  {
    status: '404',
    description: '`not_found`: unknown, not visible to the caller, or a path id that is not a UUID',
    applies: (_, operation) =>
      (operation.parameters ?? []).some((p) => 'in' in p && p.in === 'path'),
  },
  {
    status: '413',
    description: '`payload_too_large`: a body over 100 kB',
    applies: () => true,
  },
  {
    status: '415',
    description: '`unsupported_media_type`: a body in an encoding or charset other than UTF-8',
    applies: () => true,
  },
  {
    status: '429',
    description:
      '`rate_limited`: over a rate limit, the login lockout or the MFA block; with `Retry-After`',
    applies: () => true,
  },
  {
    status: '503',
    description: '`service_unavailable`: the database is unreachable, or the audit buffer is full',
    applies: () => true,
  },
];

/**
 * Completes the document the decorators build, for every route at once: `security: []` on
 * public routes, problems as
 * `application/problem+json` with the answers the pipeline adds, the `Location` of redirects,
 * and an example for each request body.
 */
export function documentContract(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const extensions = operation as unknown as Record<string, unknown>;
      if (extensions[PUBLIC_EXTENSION] === true) {
        delete extensions[PUBLIC_EXTENSION];
        operation.security = [];
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response && !isReference(response)) completeResponse(status, response);
      }
      // Express answers a JSON GET whose `If-None-Match` matches (`*` does) with 304.
      if (method === 'get' && !operation.responses['304']) {
        operation.responses['304'] = { description: 'Not modified (`If-None-Match`)' };
      }
      for (const problem of PIPELINE_PROBLEMS) {
        if (!operation.responses[problem.status] && problem.applies(method, operation)) {
          operation.responses[problem.status] = {
            description: problem.description,
            content: PROBLEM_CONTENT,
          };
        }
      }
      const body = operation.requestBody;
      for (const media of body && !isReference(body) ? Object.values(body.content) : []) {
        if (media.example === undefined && media.examples === undefined && media.schema) {
          media.example = exampleOf(media.schema, schemas, 0);
        }
      }
    }
  }
  return document;
}

function completeResponse(status: string, response: ResponseObject): void {
  const schema = response.content?.['application/json']?.schema;
  if (schema && isReference(schema) && schema.$ref === PROBLEM_REF)
    response.content = PROBLEM_CONTENT;
  if (/^3\d\d$/.test(status) && !response.headers?.Location) {
    response.headers = {
      ...response.headers,
      Location: { description: 'Where the browser goes next', schema: { type: 'string' } },
    };
  }
}

/** An example built from the schema's own examples, else its first enum value, else its type. */
function exampleOf(
  schema: SchemaObject | ReferenceObject,
  schemas: Record<string, SchemaObject>,
  depth: number,
): unknown {
  if (isReference(schema)) {
    const target = schemas[schema.$ref.replace('#/components/schemas/', '')];
    return target && depth < 5 ? exampleOf(target, schemas, depth + 1) : undefined;
  }
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const variant = schema.allOf?.[0] ?? schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (variant) return exampleOf(variant, schemas, depth + 1);
  if (schema.type === 'object' || schema.properties) {
    const example: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const value = exampleOf(property, schemas, depth + 1);
      if (value !== undefined) example[name] = value;
    }
    return example;
  }
  if (schema.type === 'array') {
    const item = schema.items ? exampleOf(schema.items, schemas, depth + 1) : undefined;
    return item === undefined ? [] : [item];
  }
  return scalarExample(schema);
}

function scalarExample(schema: SchemaObject): unknown {
  switch (schema.type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      return FORMAT_EXAMPLES[schema.format ?? ''] ?? 'string'.padEnd(schema.minLength ?? 0, '-');
    default:
      return undefined;
  }
}

const FORMAT_EXAMPLES: Record<string, string> = {
  email: 'ada@example.com',
  uuid: '0190b6f0-7a3c-7cc2-9a40-3f1e2d4c5b6a',
  uri: 'https://app.example.com/callback',
  'date-time': '2026-01-01T00:00:00.000Z',
};

function isReference(value: object): value is ReferenceObject {
  return '$ref' in value;
}
