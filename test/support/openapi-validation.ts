import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Checks every answer of a documented operation against the committed document (openapi.json,
 * which a test keeps equal to the served one): its status must be documented for that
 * operation, and a JSON body must match the schema of that status. The OAuth engine under /oidc
 * and the pages are not in the document, so they are not checked.
 */

interface Media {
  schema?: unknown;
}
interface Operation {
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}
interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  literal: number;
  operation: Operation;
}

const DOCUMENT_FILE = join(__dirname, '..', '..', 'openapi.json');
/** Where each test process leaves the pairs it saw; one folder per checkout. */
export const PAIRS_DIR = join(
  tmpdir(),
  `gatehouse-openapi-pairs-${createHash('sha256').update(DOCUMENT_FILE).digest('hex').slice(0, 12)}`,
);
const COMPONENTS_ID = 'openapi.json';
const UNDOCUMENTED_PATH = /^\/oidc(?:\/|$)/;

let loaded: { routes: Route[]; ajv: Ajv; validators: Map<string, ValidateFunction> } | null = null;

/** What the suite saw that the document does not describe, until the test hook takes them. */
const violations: string[] = [];
/** Distinct `METHOD path status` pairs answered, for the coverage summary. */
export const exercisedPairs = new Set<string>();

export function takeOpenApiViolations(): string[] {
  return violations.splice(0, violations.length);
}

/** Every (operation, status) pair the document lists. */
export function documentedPairs(document: Document = readDocument()): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, operation]) =>
      Object.keys(operation.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
    ),
  );
}

function readDocument(): Document {
  return JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')) as Document;
}

/** Compiled once per test process; each (operation, status, media) validator on first use. */
function contract() {
  if (loaded) return loaded;
  const document = readDocument();
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: COMPONENTS_ID, components: toJsonSchema(document.components) });
  const routes = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      pattern: new RegExp(
        `^${segments(path)
          .map((s) => (s.templated ? '[^/]+' : s.escaped))
          .join('/')}$`,
      ),
      literal: segments(path).filter((s) => !s.templated).length,
      operation,
    })),
  );
  // `/v1/tenants/current` before `/v1/tenants/{id}`: the most literal path wins.
  routes.sort((a, b) => b.literal - a.literal);
  loaded = { routes, ajv, validators: new Map() };
  return loaded;
}

function segments(path: string): { templated: boolean; escaped: string }[] {
  return path.split('/').map((segment) => ({
    templated: segment.startsWith('{') && segment.endsWith('}'),
    escaped: segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'),
  }));
}

/** OpenAPI 3.0 schema → JSON Schema: `nullable` as a `null` type, refs into the components. */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (value === null || typeof value !== 'object') return value;
  const { nullable, ...rest } = value as Record<string, unknown>;
  const schema: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(rest)) {
    schema[key] =
      key === '$ref' && typeof child === 'string'
        ? child.replace(/^#\//, `${COMPONENTS_ID}#/`)
        : key === 'properties' || key === 'schemas'
          ? Object.fromEntries(
              Object.entries(child as Record<string, unknown>).map(([k, v]) => [
                k,
                toJsonSchema(v),
              ]),
            )
          : toJsonSchema(child);
  }
  if (nullable !== true) return schema;
  // `{nullable, allOf: [$ref]}` is how Nest writes an optional object: the object, or null.
  const composed = ['$ref', 'allOf', 'oneOf', 'anyOf', 'enum'].some((key) => key in schema);
  if (typeof schema.type === 'string' && !composed)
    return { ...schema, type: [schema.type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

function check(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  if (UNDOCUMENTED_PATH.test(path)) return;
  const { routes, ajv, validators } = contract();
  const route = routes.find((r) => r.method === req.method && r.pattern.test(path));
  if (!route) return;
  const status = String(res.statusCode);
  const where = `${req.method} ${path} (${route.method} ${route.path}) answered ${status}`;
  const response = route.operation.responses[status];
  if (!response) {
    violations.push(`${where}: status not documented. Body: ${body.toString('utf8', 0, 300)}`);
    return;
  }
  exercisedPairs.add(`${route.method} ${route.path} ${status}`);
  const contentType = String(res.getHeader('content-type') ?? '');
  const media = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (!/[/+]json$/.test(media) || body.length === 0) return;
  const documented = response.content?.[media];
  if (!documented) {
    const listed = Object.keys(response.content ?? {}).join(', ') || 'no body';
    violations.push(`${where} with ${media}: the document lists ${listed}`);
    return;
  }
  if (!documented.schema) return;
  const key = `${route.method} ${route.path} ${status} ${media}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(toJsonSchema(documented.schema) as object);
    validators.set(key, validate);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    violations.push(`${where}: ${media} body that is not JSON`);
    return;
  }
  if (!validate(parsed)) {
    const errors = (validate.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
      .join('; ');
    violations.push(
      `${where}: body does not match the schema: ${errors}. Body: ${body.toString('utf8', 0, 500)}`,
    );
  }
}

/**
 * Puts the check in front of the app's request listeners: it sees every answer whole, whatever
 * wrote it (Express, the exception filter, a middleware ahead of Nest).
 */
export function validateAnswersAgainstOpenApi(server: Server): void {
  const listeners = server.listeners('request') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(
        Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(
              chunk as string,
              typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
            ),
      );
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      try {
        check(req, res, Buffer.concat(chunks));
      } catch (error) {
        violations.push(`${req.method} ${req.url}: the check failed: ${String(error)}`);
      }
      return end(...args);
    }) as typeof res.end;
    for (const listener of listeners) listener.call(server, req, res);
  });
}
