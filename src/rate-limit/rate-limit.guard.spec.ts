import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import type { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { loadConfig } from '../config/load-config';
import { setPrincipal } from '../common/http/request-context';
import { RateLimit } from './rate-limit.decorator';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitStorage } from './rate-limit.storage';

const config = loadConfig({
  NODE_ENV: 'test',
  KEY_ENCRYPTION_KEY: 'unit-test-key-encryption-key-0123456789',
  REDIS_KEY_PREFIX: 'p:',
});
const guard = new RateLimitGuard(
  new RateLimitStorage(),
  new Reflector(),
  config,
  {} as AuditService,
);

class Routes {
  plain(): void {}
  @RateLimit('passwordReset')
  decorated(): void {}
}

function context(
  method: string,
  path: string,
  handler: () => void = () => undefined,
  ip = '198.51.100.7',
): { ctx: ExecutionContext; req: Request } {
  const req = { method, ip, route: { path }, headers: {} } as unknown as Request;
  const ctx = {
    getHandler: () => handler,
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

describe('RateLimitGuard buckets', () => {
  const limits = config.security.rateLimits!;

  it('puts the credential routes under their own rule by path, including ones added later', () => {
    const cases: [string, string, string][] = [
      ['POST', '/v1/auth/login', 'login'],
      ['POST', '/v1/auth/register', 'register'],
      ['POST', '/v1/auth/refresh', 'refresh'],
      ['POST', '/v1/auth/password/forgot', 'passwordForgot'],
      ['POST', '/v1/auth/password/reset', 'passwordReset'],
      ['POST', '/v1/auth/mfa/verify', 'login'],
    ];
    for (const [method, path, rule] of cases) {
      const { ctx, req } = context(method, path);
      expect(guard.bucketOf(ctx, req)).toEqual({
        kind: 'route',
        name: rule,
        tracker: `${rule}:ip:198.51.100.7`,
        rule: limits.routes[rule as keyof typeof limits.routes],
        ip: '198.51.100.7',
      });
    }
  });

  it('a @RateLimit decorator names the rule of any other route', () => {
    const { ctx, req } = context('POST', '/v1/anything', Routes.prototype.decorated);
    expect(guard.bucketOf(ctx, req)).toMatchObject({ kind: 'route', name: 'passwordReset' });
  });

  it('other public routes: the anonymous rule per IP, IPv6 grouped by /64', () => {
    const { ctx, req } = context(
      'GET',
      '/health/live',
      Routes.prototype.plain,
      '2001:db8:1:2:3:4:5:6',
    );
    expect(guard.bucketOf(ctx, req)).toEqual({
      kind: 'anonymous',
      name: 'anonymous',
      tracker: 'ip:2001:db8:1:2::/64',
      rule: limits.anonymous,
      ip: '2001:db8:1:2::/64',
    });
  });

  it('authenticated callers: per caller, with the limit of their plan', () => {
    for (const plan of ['free', 'pro', 'enterprise'] as const) {
      const { ctx, req } = context('GET', '/v1/auth/me', () => undefined);
      setPrincipal(req, {
        type: 'api_key',
        id: 'key-1',
        tenant: { plan },
      } as unknown as Principal);
      expect(guard.bucketOf(ctx, req)).toMatchObject({
        kind: 'caller',
        name: plan,
        tracker: 'api_key:key-1',
        rule: limits.tiers[plan],
      });
    }
  });
});
