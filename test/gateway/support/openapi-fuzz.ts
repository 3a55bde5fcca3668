/**
 * What the OpenAPI-driven fuzzer derives from the served document: its operations, a plausible
 * body for each request schema, and the hostile variants of that body, path and query. Every
 * choice goes through one seeded PRNG, so a run replays from its seed.
 */

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Schema> };
}

interface OperationObject {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
}

export interface Operation {
  /** `PATCH /v1/users/{id}` */
  key: string;
  method: string;
  /** The OpenAPI path template, `/v1/users/{id}`. */
  path: string;
  parameters: Parameter[];
  body: Schema | undefined;
  authenticated: boolean;
  documentedStatuses: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema,
        authenticated: (operation.security ?? []).length > 0,
        documentedStatuses: Object.keys(operation.responses ?? {}),
      })),
  );
}

/** mulberry32: small, fast and good enough to pick variants; the same seed, the same run. */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  /** Up to `count` elements in a random order (all of them when the list is shorter). */
  sample<T>(list: readonly T[], count: number): T[] {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i -= 1) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, count);
  }

  /** A short string of awkward characters: controls, quotes, surrogates, RTL, emoji. */
  junkString(): string {
    const alphabet = [
      '\u0000',
      '\u001f',
      '"',
      "'",
      '\\',
      '%',
      '$',
      '{',
      '<',
      '\u202e',
      '💥',
      'é',
      '\ud800',
      ' ',
    ];
    return Array.from({ length: 1 + this.int(12) }, () => this.pick(alphabet)).join('');
  }
}

export function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(doc, doc.components.schemas[name]);
  }
  if (schema.allOf?.length) {
    const merged = schema.allOf.reduce<Schema>(
      (all, part) => ({ ...all, ...resolve(doc, part) }),
      {},
    );
    const { allOf: _parts, ...rest } = schema;
    return { ...merged, ...rest };
  }
  return schema;
}

/** Values the world of the run supplies for fields that must name real things. */
export interface ValueHints {
  uuid: () => string;
  url: () => string;
}

/**
 * Stands for a fresh token in every request sent (`uniqueIn`): slugs, role names, emails and
 * domains must be new, or every variant after the first stops at 409 before reaching deeper code.
 */
export const UNIQUE = '__unique__';

let uniqueCounter = 0;
export function uniqueIn(raw: string): string {
  return raw.replaceAll(UNIQUE, () => {
    uniqueCounter += 1;
    return `fz${uniqueCounter.toString(36)}`;
  });
}

function uniqueValue(name: string, schema: Schema): string | undefined {
  if (name === 'slug' || (name === 'name' && schema.pattern)) return `f-${UNIQUE}`;
  if (name === 'email' || schema.format === 'email') return `${UNIQUE}@example.com`;
  if (name === 'domains') return `${UNIQUE}.example.com`;
  return undefined;
}

/** A body the schema accepts as far as it can tell: examples first, then the type's simplest value. */
export function plausibleValue(
  doc: OpenApiDocument,
  raw: Schema | undefined,
  hints: ValueHints,
  name = '',
  depth = 0,
): unknown {
  const schema = resolve(doc, raw);
  const unique = schema.type === 'array' ? undefined : uniqueValue(name, schema);
  if (unique !== undefined) return unique;
  if (schema.example !== undefined && !(name === 'domains' && schema.type === 'array')) {
    return schema.example;
  }
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const type = schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : 'string');
  switch (type) {
    case 'object': {
      if (depth > 4) return {};
      const body: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        body[key] = plausibleValue(doc, property, hints, key, depth + 1);
      }
      return body;
    }
    case 'array':
      return depth > 4 ? [] : [plausibleValue(doc, schema.items, hints, name, depth + 1)];
    case 'boolean':
      return false;
    case 'number':
    case 'integer':
      return schema.minimum ?? 1;
    default:
      if (schema.format === 'uuid') return hints.uuid();
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (/uri|url|issuer/i.test(name)) return hints.url();
      return 'fuzz value';
  }
}

/** One change to a body: a path of keys into it and what to put there. */
export interface BodyVariant {
  label: string;
  /** Sent in every run (the null of each field); the others are sampled. */
  always?: boolean;
  /** JSON text: duplicate keys and other things JSON.stringify cannot write. */
  raw: string;
}

type Json = unknown;

function setAt(given: Json, path: (string | number)[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  // A field the base body leaves out is added, with its parents.
  const body = given ?? (typeof head === 'number' ? [] : {});
  const copy = (Array.isArray(body) ? [...(body as Json[])] : { ...body }) as Record<
    string | number,
    Json
  >;
  copy[head] = setAt((body as Record<string | number, Json>)[head], rest, value);
  return copy;
}

/** Paths to every field of a plausible body (objects and the first element of arrays). */
function fieldPaths(
  doc: OpenApiDocument,
  raw: Schema | undefined,
  prefix: (string | number)[] = [],
  depth = 0,
): { path: (string | number)[]; schema: Schema }[] {
  const schema = resolve(doc, raw);
  if (depth > 3) return [];
  if (schema.properties) {
    return Object.entries(schema.properties).flatMap(([key, property]) => {
      const path = [...prefix, key];
      return [
        { path, schema: resolve(doc, property) },
        ...fieldPaths(doc, property, path, depth + 1),
      ];
    });
  }
  if (schema.type === 'array' && schema.items) {
    const path = [...prefix, 0];
    return [
      { path, schema: resolve(doc, schema.items) },
      ...fieldPaths(doc, schema.items, path, depth + 1),
    ];
  }
  return [];
}

/** The hostile values for one field, by its schema. */
function mutantsFor(schema: Schema, prng: Prng): [string, Json][] {
  const type = schema.type ?? (schema.properties ? 'object' : 'string');
  const wrongType: Json =
    type === 'string'
      ? prng.pick([12345, true, ['x'], { a: 1 }])
      : type === 'array'
        ? { 0: 'x' }
        : 'text';
  const values: [string, Json][] = [
    ['null', null],
    ['wrong type', wrongType],
    ['empty string', ''],
    ['oversized string', 'x'.repeat(prng.pick([300, 5_000, 60_000]))],
    ['junk string', prng.junkString()],
    ['huge number', prng.pick([1e308, -1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2])],
    ['negative number', prng.pick([-1, -0.5, -(2 ** 31)])],
    [
      'nested junk',
      prng.pick<Json>([
        { $gt: '', $ne: null },
        JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}') as Json,
        [[[[[[[[[[[]]]]]]]]]]],
        { a: { b: { c: { d: { e: { f: [{ g: null }] } } } } } },
      ]),
    ],
    ['empty object', {}],
    ['empty array', []],
  ];
  if (schema.enum?.length) values.push(['unknown enum value', 'not-a-member-of-the-enum']);
  if (type === 'array') {
    values.push(['array of null', [null]]);
    values.push(['long array', Array.from({ length: 1_000 }, () => 'x')]);
  }
  if (schema.format === 'uuid')
    values.push(['uuid-shaped junk', '0190a000-0000-7000-8000-00000000000g']);
  if (schema.format === 'date-time') {
    values.push([
      'bad date',
      prng.pick(['0000-00-00T00:00:00Z', '+275760-09-14T00:00:00Z', 'yesterday']),
    ]);
  }
  return values;
}

/** Every field replaced in turn by each hostile value, the whole body's junk, and duplicate keys. */
export function bodyVariants(
  doc: OpenApiDocument,
  schema: Schema,
  base: Json,
  prng: Prng,
): BodyVariant[] {
  const variants: BodyVariant[] = [
    { label: 'plausible body', raw: JSON.stringify(base) },
    { label: 'empty object', raw: '{}' },
    { label: 'unknown field', raw: JSON.stringify({ ...(base as object), notAField: 1 }) },
    { label: 'array body', raw: JSON.stringify([base]) },
    { label: 'null body', raw: 'null' },
  ];
  for (const { path, schema: field } of fieldPaths(doc, schema)) {
    const name = path.join('.');
    for (const [label, value] of mutantsFor(field, prng)) {
      variants.push({
        label: `${name}: ${label}`,
        raw: JSON.stringify(setAt(base, path, value)),
        always: value === null,
      });
    }
    if (path.length === 1 && base && typeof base === 'object' && !Array.isArray(base)) {
      // A repeated key: parsers differ on which one wins, and a check may read the other.
      const rest = JSON.stringify(base).slice(1, -1);
      const key = JSON.stringify(path[0]);
      const first = JSON.stringify((base as Record<string, Json>)[path[0]]);
      variants.push({
        label: `${name}: duplicate key`,
        raw: `{${rest}${rest ? ',' : ''}${key}:${first},${key}:null,${key}:${JSON.stringify(prng.junkString())}}`,
      });
    }
  }
  return variants;
}

/** Every byte as %XX: lone surrogates and controls travel as they are (encodeURIComponent throws). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
    .join('');
}

/** Query strings with bad values for each documented query parameter. */
export function queryVariants(
  parameters: Parameter[],
  prng: Prng,
): { label: string; query: string }[] {
  const query = parameters.filter((parameter) => parameter.in === 'query');
  const variants: { label: string; query: string }[] = [];
  for (const parameter of query) {
    const name = encodeURIComponent(parameter.name);
    const values =
      parameter.name === 'limit'
        ? ['0', '-1', '101', 'abc', '1e2', '', '1.5', '9'.repeat(40), '0x10']
        : parameter.name === 'cursor'
          ? [
              'zz',
              '%00',
              Buffer.from(JSON.stringify({ id: "' OR 1=1 --", at: 'x' })).toString('base64url'),
              Buffer.from('{"createdAt":"9999-99-99","id":[]}').toString('base64url'),
              '0190a000-0000-7000-8000-000000000000',
              'x'.repeat(3_000),
              percentEncoded(prng.junkString()),
            ]
          : [
              '',
              'x'.repeat(5_000),
              percentEncoded(prng.junkString()),
              'not-a-member',
              '0000-00-00',
            ];
    for (const value of values)
      variants.push({
        label: `?${parameter.name}=${value.slice(0, 20)}`,
        query: `${name}=${value}`,
      });
    variants.push({ label: `?${parameter.name}[]`, query: `${name}[]=1&${name}[a]=2` });
    variants.push({ label: `?${parameter.name} twice`, query: `${name}=1&${name}=2` });
  }
  if (query.some((parameter) => parameter.name === 'limit')) {
    variants.push({ label: 'limit and bad cursor', query: 'limit=100&cursor=%ff%fe' });
  }
  return variants;
}

/** Path parameter values that are not a usable id. */
export const MALFORMED_IDS = [
  'not-a-uuid',
  '0190a000-0000-7000-8000-00000000000',
  '%00',
  '..%2F..',
  encodeURIComponent("' OR 1=1 --"),
  'a'.repeat(600),
];
