import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boundedFetch,
  isUpstreamUnavailable,
  OutboundRefusedError,
  UPSTREAM_BODY_LIMIT,
  UpstreamUnavailableError,
} from './upstream-http';

describe('boundedFetch and isUpstreamUnavailable', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      if (req.url === '/down') return void res.writeHead(503).end();
      if (req.url === '/moved') return void res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/big' || req.url === '/limit') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const size = req.url === '/big' ? UPSTREAM_BODY_LIMIT + 1 : UPSTREAM_BODY_LIMIT;
        // Chunked, no Content-Length: the cap must count what is read.
        for (let sent = 0; sent < size; sent += 1024)
          res.write('x'.repeat(Math.min(1024, size - sent)));
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // A short bound only where the server is silent; answers that come get all the time they need.
  const get = (path: string) =>
    boundedFetch(path === '/slow' ? 200 : 10_000)(`${base}${path}`, {
      method: 'GET',
      headers: {},
      body: undefined,
      redirect: 'manual',
    });

  it('passes answers through', async () => {
    expect((await get('/ok')).status).toBe(200);
  });

  it('ends a request the server never answers, as unavailable', async () => {
    const error = await get('/slow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(isUpstreamUnavailable(error)).toBe(true);
  });

  it('treats 5xx as unavailable', async () => {
    const error = await get('/down').catch((e: unknown) => e);
    expect(isUpstreamUnavailable(error)).toBe(true);
  });

  it('refuses a redirect instead of following it', async () => {
    const error = await get('/moved').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRefusedError);
  });

  it('reads bodies up to 256 kB and refuses one byte more', async () => {
    expect((await (await get('/limit')).arrayBuffer()).byteLength).toBe(UPSTREAM_BODY_LIMIT);
    const error = await get('/big').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(isUpstreamUnavailable(error)).toBe(true);
  });

  it('sees through openid-client wrapping, and tells refusals apart', () => {
    const wrapped = new client.ClientError('something went wrong', {
      cause: new UpstreamUnavailableError('x'),
    });
    expect(isUpstreamUnavailable(wrapped)).toBe(true);
    const timeout = Object.assign(new client.ClientError('operation timed out'), {
      code: 'OAUTH_TIMEOUT',
    });
    expect(isUpstreamUnavailable(timeout)).toBe(true);
    const refused = Object.assign(new client.ClientError('unexpected JWT claim value'), {
      code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
    });
    expect(isUpstreamUnavailable(refused)).toBe(false);
    expect(isUpstreamUnavailable(new Error('bad'))).toBe(false);
    expect(isUpstreamUnavailable('text')).toBe(false);
  });
});
