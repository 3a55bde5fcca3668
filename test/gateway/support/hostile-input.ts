import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * Worst cases for patterns applied to text: long runs of the characters that patterns repeat
 * (`\s+`, `[^@]+`, `(\w+\.)*`, base64 alphabets, digits), each ended by a character that makes
 * the match fail, so a backtracking pattern tries every split before giving up. `plus` is the
 * reviewer's reproduction against the SAML ACS (F1).
 */
export const WORST_CASES: Record<string, (n: number) => string> = {
  plus: (n) => '+'.repeat(n - 1) + '!',
  spaces: (n) => ' '.repeat(n - 1) + '!',
  tabs: (n) => '\t'.repeat(n - 1) + '!',
  letters: (n) => 'a'.repeat(n - 1) + '!',
  digits: (n) => '1'.repeat(n - 1) + 'x',
  dotted: (n) => 'a.'.repeat(Math.floor(n / 2) - 1) + '!',
  dashed: (n) => 'a-'.repeat(Math.floor(n / 2) - 1) + '!',
  mailbox: (n) => 'a'.repeat(Math.floor(n / 2)) + '@' + 'a.'.repeat(Math.floor(n / 4) - 1) + '!',
  ats: (n) => '@a'.repeat(Math.floor(n / 2) - 1) + '!',
  base64: (n) => 'A'.repeat(n - 2) + '=!',
  urlish: (n) => 'https://' + 'a/'.repeat(Math.floor(n / 2) - 5) + '%',
  xml: (n) => Buffer.from('<a>'.repeat(Math.floor((n * 3) / 4 / 3) - 1)).toString('base64'),
};

/** How a route takes its text: a JSON body, a form body, the query string, or a header. */
export type Carrier = 'json' | 'form' | 'query' | 'authorization';

export interface TextRoute {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  carrier: Carrier;
  /** Values that get the request past the cheap checks, so the text reaches the deep ones. */
  fields: Record<string, string>;
  /** Fields that take the worst case, one at a time (for `authorization`, the scheme). */
  hostile: string[];
  /** Headers the route needs to get that far (a flow's cookie), read when the request is sent. */
  headers?: () => Record<string, string>;
}

// A request line or header of Node's default 16 kB header limit, with room for the rest.
const HEADER_BUDGET = 7_500;
/** `BODY_LIMIT` ('100kb') in bytes; the spec checks the two agree. */
export const BODY_LIMIT_BYTES = 100 * 1024;
// The body limit, less a margin for the other fields.
const BODY_BUDGET = BODY_LIMIT_BYTES - 1_000;

function wire(route: TextRoute, field: string, value: string): string {
  switch (route.carrier) {
    case 'json':
      return JSON.stringify({ ...route.fields, [field]: value });
    case 'form':
      // As an attacker sends it: raw, not URL-encoded (that is how `+` became spaces in F1).
      return Object.entries({ ...route.fields, [field]: value })
        .map(([key, fieldValue]) => `${key}=${fieldValue}`)
        .join('&');
    case 'query':
      return new URLSearchParams({ ...route.fields, [field]: value }).toString();
    case 'authorization':
      return `${field} ${value}`;
  }
}

function budget(route: TextRoute): number {
  return route.carrier === 'json' || route.carrier === 'form' ? BODY_BUDGET : HEADER_BUDGET;
}

/** The longest value of this shape the route's carrier takes within its limit. */
function fit(route: TextRoute, field: string, make: (n: number) => string): string {
  const limit = budget(route);
  let n = limit;
  let value = make(n);
  for (let size = wire(route, field, value).length; size > limit;) {
    n = Math.floor((n * limit) / size) - 8;
    value = make(n);
    size = wire(route, field, value).length;
  }
  return value;
}

/** A request serialised once, before any clock runs: the client does no work while measured. */
export type PreparedRequest = Buffer;

function serialise(
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
}

function prepare(route: TextRoute, field: string, value: string): PreparedRequest {
  const headers: Record<string, string> = { ...route.headers?.() };
  const carried = wire(route, field, value);
  switch (route.carrier) {
    case 'json':
      return serialise(
        route.method,
        route.path,
        { ...headers, 'content-type': 'application/json' },
        carried,
      );
    case 'form':
      return serialise(
        route.method,
        route.path,
        { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        carried,
      );
    case 'query':
      return serialise(route.method, `${route.path}?${carried}`, headers);
    case 'authorization':
      return serialise(route.method, route.path, { ...headers, authorization: carried });
  }
}

export interface WorstAndBaseline {
  worst: PreparedRequest;
  baseline: PreparedRequest;
}

/**
 * The worst case of one shape in one field, and a benign request of the same size on the wire
 * (random base64url letters, which no pattern backtracks on): the baseline it is measured
 * against.
 */
export function worstAndBaseline(
  route: TextRoute,
  field: string,
  make: (n: number) => string,
): WorstAndBaseline {
  const value = fit(route, field, make);
  const overhead = wire(route, field, '').length;
  const size = wire(route, field, value).length - overhead;
  const benign = randomBytes(size).toString('base64url').slice(0, size);
  return {
    worst: prepare(route, field, value),
    baseline: prepare(route, field, benign),
  };
}

export interface Round {
  status: number;
  healthStatus: number;
  /**
   * CPU time this process (the app, in-process) spent from sending both requests until both
   * were answered: what a stall costs every other request, without the waits other processes
   * on a loaded machine add to wall-clock time.
   */
  ms: number;
}

const HEALTH = serialise('GET', '/health/live', {});

/** Writes a request on a connection of its own; resolves with the status once the server closes. */
function send(port: number, request: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const statusLine = Buffer.concat(chunks).subarray(0, 16).toString('latin1');
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0));
    });
  });
}

/** Sends the request and, on another connection right behind it, `GET /health/live`. */
export async function round(port: number, request: PreparedRequest): Promise<Round> {
  const started = process.cpuUsage();
  const [status, healthStatus] = await Promise.all([send(port, request), send(port, HEALTH)]);
  const spent = process.cpuUsage(started);
  return { status, healthStatus, ms: (spent.user + spent.system) / 1000 };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
