import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { AuditService } from '../audit/audit.service';
import { loadConfig } from '../config/load-config';
import { EngineRateLimiter } from './engine-rate-limit';
import { RateLimitStorage } from './rate-limit.storage';

const config = loadConfig({
  NODE_ENV: 'test',
  KEY_ENCRYPTION_KEY: 'unit-test-key-encryption-key-0123456789',
  REDIS_KEY_PREFIX: 'p:',
});

/** Memory counters that remember which keys were counted. */
class RecordingStorage extends RateLimitStorage {
  readonly keys: string[] = [];
  override increment(...args: Parameters<RateLimitStorage['increment']>) {
    this.keys.push(args[0]);
    return super.increment(...args);
  }
}

/** Just enough of a response for the limiter; `finish` ends it with a status. */
class FakeResponse extends EventEmitter {
  statusCode = 200;
  setHeader(): void {}
  writeHead(): void {}
  end(): void {}
  finish(status: number): void {
    this.statusCode = status;
    this.emit('finish');
  }
}

function exchange(authorization?: string): { req: IncomingMessage; res: FakeResponse } {
  const req = { method: 'POST', headers: { authorization } } as unknown as IncomingMessage;
  return { req, res: new FakeResponse() };
}

const asResponse = (res: FakeResponse) => res as unknown as ServerResponse;
const basic = (id: string) => `Basic ${Buffer.from(`${id}:secret`).toString('base64')}`;
const audit = { record: () => undefined } as unknown as AuditService;

describe('EngineRateLimiter', () => {
  it('picks the rule by path and leaves discovery and the JWKS alone', async () => {
    const storage = new RecordingStorage();
    const limiter = new EngineRateLimiter(config, storage, audit);
    for (const url of [
      '/token',
      '/token/introspection',
      '/token/revocation',
      '/auth?client_id=x',
      '/auth/abc',
      '/session/end',
      '/me',
      '/reg',
      '/.well-known/openid-configuration',
      '/jwks',
    ]) {
      const { req, res } = exchange();
      expect(await limiter.admit(req, asResponse(res), url, '198.51.100.1')).toBe(true);
    }
    expect(storage.keys.map((key) => key.slice('p:rl:'.length))).toEqual([
      'oidcToken:198.51.100.1',
      'oidcIntrospection:198.51.100.1',
      'oidcToken:198.51.100.1',
      'oidcAuthorize:198.51.100.1',
      'oidcAuthorize:198.51.100.1',
      'oidcAuthorize:198.51.100.1',
      'oidcUserinfo:198.51.100.1',
      'anonymous:198.51.100.1',
    ]);
  });

  it('counts per (IP, client) only for a client the engine has answered with success', async () => {
    const storage = new RecordingStorage();
    const limiter = new EngineRateLimiter(config, storage, audit);
    const send = async (authorization: string, status: number) => {
      const { req, res } = exchange(authorization);
      await limiter.admit(req, asResponse(res), '/token', '2001:db8::1');
      res.finish(status);
    };
    await send(basic('invented'), 401);
    await send(basic('invented'), 401);
    await send(basic('real%2Did'), 200);
    await send(basic('real-id'), 200);
    await send(basic('bad{id}'), 200);
    await send(basic('bad{id}'), 200);
    expect(storage.keys.map((key) => key.slice('p:rl:'.length))).toEqual([
      'oidcToken:2001:db8::/64',
      'oidcToken:2001:db8::/64',
      'oidcToken:2001:db8::/64',
      'oidcToken:2001:db8::/64:client:real-id',
      'oidcToken:2001:db8::/64',
      'oidcToken:2001:db8::/64',
    ]);
  });
});
