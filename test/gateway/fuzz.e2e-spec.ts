import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  ACCESS_METADATA,
  type AccessRequirement,
} from '../../src/common/decorators/access.decorators';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, login, register } from '../factories';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  createTestApp,
  ROOT_TENANT,
  type TestApp,
} from '../support/app';

interface Route {
  method: string;
  /** Express path, e.g. `/v1/users/:id`. */
  path: string;
  access: AccessRequirement | undefined;
}

/** How many requests one run may send, whatever the number of routes. */
const REQUEST_BUDGET = 3500;

/** Every route of the running app, from Nest's metadata: routes added later are fuzzed too. */
function routesOf(t: TestApp): Route[] {
  // Over the app's own module graph; the app need not import DiscoveryModule for a test.
  const discovery = new DiscoveryService(t.app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = t.app.get(Reflector);
  const routes: Route[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    if (!instance || !wrapper.metatype) continue;
    const prefixes = [
      Reflect.getMetadata(PATH_METADATA, wrapper.metatype) as string | string[],
    ].flat();
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as object;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const paths = [Reflect.getMetadata(PATH_METADATA, handler) as string | string[]].flat();
      for (const prefix of prefixes) {
        for (const path of paths) {
          const joined = `/${[prefix, path].filter((part) => part && part !== '/').join('/')}`;
          routes.push({
            method: RequestMethod[method] === 'ALL' ? 'GET' : RequestMethod[method],
            path: joined.replace(/\/+/g, '/'),
            access: reflector.getAllAndOverride<AccessRequirement | undefined>(ACCESS_METADATA, [
              handler as () => void,
              wrapper.metatype,
            ]),
          });
        }
      }
    }
  }
  return routes;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Junk for path parameters, already in wire form. */
const PARAM_JUNK = [
  'not-a-uuid',
  '..',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2f',
  '%00',
  'abc%00def',
  '%ff%fe',
  '%E2%80%AE',
  '%',
  '%zz',
  encodeURIComponent("' OR 1=1 --"),
  encodeURIComponent('💥🔥'),
  'a'.repeat(4000),
  '00000000-0000-0000-0000-000000000000',
  '0190a000-0000-7000-8000-00000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '1',
  '-1',
  '1e309',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '%7B%7B7*7%7D%7D',
  encodeURIComponent('${jndi:ldap://x/a}'),
];

/** Suffixes for routes without parameters: traversal and junk after a real path. */
const PATH_SUFFIX_JUNK = [
  '/..',
  '/../../etc/passwd',
  '/%2e%2e/%2e%2e',
  '/%00',
  '/%zz',
  `/${'b'.repeat(3000)}`,
];

const QUERY_JUNK = [
  'limit=abc&cursor=%00',
  'limit=1&limit=2',
  'action[]=x&outcome[x]=y',
  '__proto__[admin]=1&constructor[prototype][x]=1',
  `q=${'x'.repeat(6000)}`,
  '%ff=1&a=%ff',
  '%zz',
  'tenant=root&redirect_uri=javascript:alert(1)',
  'from=0000-00-00&to=9999-99-99T99:99:99Z',
  'from=0000-01-01T00:00:00Z&to=9999-12-31T23:59:59.999Z',
  'from=%2B275760-09-13T00:00:00Z&to=-000001-01-01T00:00:00Z',
  'from=2024-01-01T00:00:00%2B14:00&to=2024-01-01T00:00:00-12:00',
];

const BODY_JUNK: { type: string | null; body: string | Buffer }[] = [
  { type: 'application/json', body: '{' },
  { type: 'application/json', body: '{"a":' },
  { type: 'application/json', body: 'nul' },
  { type: 'application/json', body: '"text"' },
  { type: 'application/json', body: '123' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: '{}' },
  { type: 'application/json', body: '{"a": NaN}' },
  {
    type: 'application/json',
    body: '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}',
  },
  {
    type: 'application/json',
    body: JSON.stringify({
      tenant: 1,
      email: [],
      password: {},
      refreshToken: null,
      code: true,
      name: 1e308,
      mfaCode: [],
      currentPassword: 5,
      newPassword: {},
      token: [],
      roleIds: 'x',
      permissions: 'all',
      status: { $ne: null },
      id: '../../etc/passwd',
    }),
  },
  {
    type: 'application/json',
    body: '{"tenant":"root\\u0000","email":"a@b.co\\u0000","password":"x\\u0000","refreshToken":"\\u0000","code":"\\u0000","name":"\\u0000","token":"\\u0000"}',
  },
  {
    type: 'application/json',
    body: '{"tenant":"\\ud800","email":"\\udfff@x.co","password":"\\ud83d","refreshToken":"\\ud800","code":"\\ud800"}',
  },
  { type: 'application/json', body: '{"email":"a@b.co","email":{"$gt":""}}' },
  { type: 'application/json', body: JSON.stringify({ tenant: 'a'.repeat(90_000) }) },
  { type: 'application/json', body: JSON.stringify({ refreshToken: 'x'.repeat(120_000) }) },
  { type: 'application/json', body: `${'['.repeat(5000)}${']'.repeat(5000)}` },
  { type: 'application/json', body: `{"a":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}` },
  {
    type: 'application/json',
    body: Buffer.concat([
      Buffer.from('{"tenant":"'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]),
      Buffer.from('","email":"a@b.co","password":"'),
      Buffer.from([0xf0, 0x28, 0x8c, 0xbc]),
      Buffer.from('"}'),
    ]),
  },
  { type: 'application/json; charset=utf-16', body: '{"a":1}' },
  { type: 'application/json; charset=latin1', body: '{"a":"\xe9"}' },
  { type: 'application/json;;;; charset=', body: '{}' },
  { type: 'application/merge-patch+json', body: '{"a":1}' },
  { type: 'application/x-www-form-urlencoded', body: 'a=1&a=2&b[c]=1&__proto__[x]=1' },
  {
    type: 'multipart/form-data; boundary=----x',
    body: '------x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n------x--',
  },
  { type: 'text/plain', body: 'hello' },
  {
    type: 'application/xml',
    body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  },
  { type: null, body: '{"tenant":"root"}' },
];

function headerJunk(validToken: string): Record<string, string | string[]>[] {
  const es256Header = b64({ alg: 'ES256', typ: 'at+jwt', kid: '../../../etc/passwd' });
  return [
    { Authorization: 'Bearer' },
    { Authorization: 'Bearer ' },
    { Authorization: `Bearer ${'a'.repeat(9000)}` },
    { Authorization: 'Bearer a.b.c' },
    { Authorization: `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: 'x' })}.` },
    { Authorization: `Bearer ${es256Header}.${b64({ sub: 'x', tid: 'y' })}.${'A'.repeat(86)}` },
    {
      Authorization: `Bearer ${b64({ alg: 'HS256', jku: 'http://evil.test/jwks' })}.${b64({})}.sig`,
    },
    { Authorization: `Bearer ${b64('not an object')}.${b64([1, 2])}.x` },
    { Authorization: 'Bearer eyJ.eyJ.sig' },
    { Authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' },
    { Authorization: 'bearer lower.case.token' },
    { Authorization: 'Bearer a.b.c d.e.f' },
    { Authorization: 'Token abc' },
    { Authorization: `Bearer ${validToken}x` },
    { Authorization: `Bearer ${validToken.split('.').slice(0, 2).join('.')}.` },
    { Authorization: [`Bearer ${validToken}`, 'Bearer a.b.c'] },
    { 'X-API-Key': 'gat_' },
    { 'X-API-Key': 'gat_x_y' },
    { 'X-API-Key': `gat_${'a'.repeat(10_000)}` },
    { 'X-API-Key': '../../etc/passwd' },
    { 'X-API-Key': "' OR 1=1 --" },
    { 'X-API-Key': ['gat_a_b', 'gat_c_d'] },
    { 'X-API-Key': 'gat_\xe9\xff_x' },
    { 'X-Request-Id': 'x'.repeat(8000) },
    { 'X-Request-Id': ['a', 'b'] },
    { 'X-Forwarded-For': 'a, b, ::ffff:1.1.1.1, <script>, 999.999.999.999' },
    { 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' },
    { 'Content-Encoding': 'br' },
    { Accept: 'application/xml;q=0.9, */*;q=0.1' },
    { 'Accept-Encoding': 'gzip;q=1.0, identity; q=0.5, *;q=0' },
    { Origin: 'null' },
    { Cookie: `session=${'c'.repeat(7000)}` },
    { Range: 'bytes=0-1,2-3,4-5' },
    { 'If-None-Match': '*' },
    { 'Content-Type': 'application/json', 'Content-Length': '0' },
  ];
}

/** Raw requests a client library would not send. Each answers something below 500, or nothing. */
const RAW_REQUESTS = [
  'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Bad\u0001: y\r\n\r\n',
  'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n',
  'GET http://evil.test/health/live HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /health/live HTTP/1.0\r\n\r\n',
  'GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n',
  'GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a.b.c\r\nAuthorization: Bearer d.e.f\r\n\r\n',
  'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tenant":',
  'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}',
  'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  'BREW /health/live HTTP/1.1\r\nHost: x\r\n\r\n',
  '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03',
  'not http at all\r\n\r\n',
];

function rawStatus(port: number, payload: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve(match ? Number(match[1]) : null);
    };
    socket.setTimeout(3000, done);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(data)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.end(payload, 'latin1');
  });
}

/** Runs the tasks with a few in flight at a time. */
async function runAll(tasks: (() => Promise<void>)[], concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const task = tasks[next++];
        await task();
      }
    }),
  );
}

describe('fuzz: malformed requests on every route', () => {
  let t: TestApp;
  let base: string;
  let port: number;
  let memberToken: string;
  let tenantSlug: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    tenantSlug = (await createTenant(t)).slug;
    memberToken = (await register(t, tenantSlug)).accessToken;
  });
  afterAll(() => t.close());

  it('never answers 5xx, and the service is healthy afterwards', { timeout: 120_000 }, async () => {
    const routes = routesOf(t);
    expect(routes.length).toBeGreaterThan(8);
    const failures: string[] = [];
    let sent = 0;

    const send = async (
      label: string,
      method: string,
      path: string,
      options: {
        token?: string;
        headers?: Record<string, string | string[]>;
        body?: { type: string | null; body: string | Buffer };
      } = {},
    ) => {
      sent += 1;
      try {
        let req = request(base)[method.toLowerCase() as 'get'](path);
        if (options.token) req = req.set('Authorization', `Bearer ${options.token}`);
        for (const [name, value] of Object.entries(options.headers ?? {}))
          req = req.set(name, value as string);
        if (options.body) {
          if (options.body.type) req = req.set('Content-Type', options.body.type);
          req = req.send(options.body.body);
        }
        const res = await req.ok(() => true);
        if (res.status >= 500) {
          failures.push(
            `${res.status} ${method} ${path.slice(0, 120)} [${label}] ${res.text.slice(0, 200)}`,
          );
        }
      } catch (error) {
        // The server closing a connection on a request it will not read (431, say) is not a 5xx.
        const code = (error as NodeJS.ErrnoException).code;
        if (!['ECONNRESET', 'EPIPE', 'HPE_HEADER_OVERFLOW'].includes(code ?? '')) {
          failures.push(`error ${method} ${path.slice(0, 120)} [${label}] ${String(error)}`);
        }
      }
    };

    // Every path junk on every route (parameter handling differs per route); bodies, queries,
    // headers and the member's view in full while the run fits its budget, then sampled in
    // rotation, so the whole run stays a few thousand requests however many routes exist.
    const FULL_ROUTE = 130;
    const share = Math.min(1, REQUEST_BUDGET / (routes.length * FULL_ROUTE));
    const sample = <T>(list: readonly T[], offset: number): T[] => {
      const count = Math.min(list.length, Math.max(3, Math.ceil(list.length * share)));
      return Array.from({ length: count }, (_, i) => list[(offset * count + i) % list.length]);
    };
    for (const [index, route] of routes.entries()) {
      // A fresh token per route: some routes end sessions (logout-all), fuzzed or not.
      const adminToken = (await login(t, ROOT_TENANT, ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
      const isPublic = route.access?.kind === 'public';
      const best = isPublic ? undefined : adminToken;
      const writes = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method);
      const tasks: (() => Promise<void>)[] = [];
      const params = route.path.match(/:\w+/g) ?? [];
      const paths = params.length
        ? PARAM_JUNK.map((junk) => route.path.replace(/:\w+/g, junk))
        : PATH_SUFFIX_JUNK.map((suffix) => `${route.path}${suffix}`);
      const plain = params.length ? route.path.replace(/:\w+/g, 'not-a-uuid') : route.path;
      const add = (label: string, path: string, options: Parameters<typeof send>[3] = {}) =>
        tasks.push(() => send(label, route.method, path, options));

      for (const path of [route.path, ...paths]) add('path', path, { token: best });
      for (const query of writes ? sample(QUERY_JUNK, index) : QUERY_JUNK) {
        add('query', `${plain}?${query}`, { token: best });
      }
      for (const body of writes ? BODY_JUNK : sample(BODY_JUNK, index)) {
        add(`body ${BODY_JUNK.indexOf(body)}`, plain, { token: best, body });
      }
      if (!isPublic) {
        // Past authentication but perhaps not authorization: a member, and nobody.
        for (const path of sample(paths, index)) add('member path', path, { token: memberToken });
        for (const body of sample(BODY_JUNK, index + 1)) {
          add('member body', plain, { token: memberToken, body });
          add('anonymous body', plain, { body });
        }
      }
      for (const headers of sample(headerJunk(adminToken), index))
        add('headers', plain, { headers });
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
        tasks.push(() => send('method', method, plain, { token: best }));
      }
      await runAll(tasks);
    }

    for (const payload of RAW_REQUESTS) {
      sent += 1;
      const status = await rawStatus(port, payload);
      if (status !== null && status >= 500)
        failures.push(`${status} raw ${JSON.stringify(payload.slice(0, 80))}`);
    }

    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
    // Bounded: the sampled share stays within the budget; every route also gets its path junk
    // and each method once, whatever the budget.
    expect(sent).toBeLessThanOrEqual(
      REQUEST_BUDGET + 600 + routes.length * (PARAM_JUNK.length + 8),
    );

    const ready = await request(base).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    // Still serving sign-ins and authenticated reads (the fuzzed logout-all ended older sessions).
    const fresh = await register(t, tenantSlug);
    const me = await request(base)
      .get('/v1/auth/me')
      .set('Authorization', `Bearer ${fresh.accessToken}`);
    expect(me.status).toBe(200);
    expect(t.logs.some((line) => line.includes('Unhandled error'))).toBe(false);
  });
});
