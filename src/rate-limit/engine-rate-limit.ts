import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeIp } from '@nestjs/throttler';
import type { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/app-config';
import type { RateLimitConfig } from '../config/config.types';
import { boundedCache } from '../common/cache/bounded-cache';
import type { RouteRateLimit } from './rate-limit.decorator';
import type { RateLimitStorage } from './rate-limit.storage';

/** The engine's paths (under /oidc) and their rule; discovery and the JWKS are not limited. */
const ENGINE_RULES: ReadonlyArray<readonly [path: string, rule: RouteRateLimit | 'anonymous']> = [
  ['/token/introspection', 'oidcIntrospection'],
  ['/token/revocation', 'oidcToken'],
  ['/token', 'oidcToken'],
  ['/auth', 'oidcAuthorize'],
  ['/session/end', 'oidcAuthorize'],
  ['/me', 'oidcUserinfo'],
];
const UNLIMITED = ['/.well-known/', '/jwks'];
/** Client ids that can be a counter's name: Gatehouse's are short and URL-safe. */
const CLIENT_ID = /^[\w.~-]{1,128}$/;

/**
 * The rate limit in front of the OAuth engine, which is served ahead of Express and its guards
 * (`serveOidcAhead`). One counter per request, in the gateway's `RateLimitStorage` (Redis, or
 * memory), so one round trip at most.
 *
 * The counter is the client IP, or the pair (client IP, client) when the request names a client
 * (Basic auth user or `client_id` in the query) that this instance has seen succeed. Every key
 * an attacker picks includes the address they send from: naming a victim's client id draws
 * from the attacker's own counter, never the victim's; inventing client ids buys nothing, and
 * naming real ones buys one budget per real client at most. Bodies are the engine's to read,
 * so a `client_id` posted in the body counts per IP.
 */
export class EngineRateLimiter {
  private readonly limits: RateLimitConfig | null;
  private readonly keyPrefix: string;
  /** Client ids the engine answered with success, recently: only they get counters. */
  private readonly knownClients = boundedCache<string, true>(10_000);
  /** Counters already reported to the audit log in their current window. */
  private readonly reported = boundedCache<string, number>(50_000);

  constructor(
    config: AppConfig,
    private readonly storage: RateLimitStorage,
    private readonly audit: AuditService,
  ) {
    this.limits = config.security.rateLimits;
    this.keyPrefix = `${config.redis.keyPrefix}rl:`;
  }

  get enabled(): boolean {
    return this.limits !== null;
  }

  /**
   * Counts the request; answers it with 429 and resolves false when over the limit. `ip` is the
   * client address as Express works it out (`TRUST_PROXY`); `engineUrl` the path under /oidc.
   */
  async admit(
    req: IncomingMessage,
    res: ServerResponse,
    engineUrl: string,
    ip: string,
  ): Promise<boolean> {
    if (!this.limits) return true;
    const [path, query = ''] = engineUrl.split('?', 2);
    const ruleName = ruleOf(path);
    if (!ruleName) return true;
    const rule = ruleName === 'anonymous' ? this.limits.anonymous : this.limits.routes[ruleName];
    const address = normalizeIp(ip, 64) || 'unknown';
    const client = clientOf(req, query);
    const known = client !== null && this.knownClients.get(client) === true;
    const tracker = `${ruleName}:${address}${known ? `:client:${client}` : ''}`;
    if (client !== null && !known) {
      res.once('finish', () => {
        if (res.statusCode < 400) this.knownClients.set(client, true);
      });
    }

    const ttl = rule.ttl * 1000;
    const record = await this.storage.increment(
      `${this.keyPrefix}${tracker}`,
      ttl,
      rule.limit,
      ttl,
      'default',
    );
    if (!record.isBlocked) {
      res.setHeader('RateLimit-Limit', String(rule.limit));
      res.setHeader('RateLimit-Remaining', String(Math.max(0, rule.limit - record.totalHits)));
      res.setHeader('RateLimit-Reset', String(record.timeToExpire));
      return true;
    }
    const retryAfter = Math.max(1, record.timeToBlockExpire);
    this.report(tracker, ruleName, rule.limit, rule.ttl, retryAfter, address, req.method, path);
    sendTooMany(res, rule.limit, retryAfter);
    return false;
  }

  /** `rate_limit.exceeded`, once per counter and window, as the gateway's guard does. */
  private report(
    tracker: string,
    rule: string,
    limit: number,
    window: number,
    retryAfter: number,
    ip: string,
    method: string | undefined,
    path: string,
  ): void {
    const now = Date.now();
    if ((this.reported.get(tracker) ?? 0) > now) return;
    this.reported.set(tracker, now + retryAfter * 1000);
    this.audit.record({
      action: 'rate_limit.exceeded',
      outcome: 'failure',
      tenantId: null,
      target: { type: 'ip', id: ip },
      metadata: {
        bucket: 'route',
        rule,
        limit,
        window,
        retryAfter,
        route: `${method ?? 'GET'} /oidc${path}`.slice(0, 200),
      },
    });
  }
}

/** The rule of an engine path (`/token`): `anonymous` by default, null for the unlimited ones. */
export function ruleOf(path: string): RouteRateLimit | 'anonymous' | null {
  if (UNLIMITED.some((prefix) => path.startsWith(prefix))) return null;
  for (const [prefix, rule] of ENGINE_RULES) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return rule;
  }
  return 'anonymous';
}

/** The client a request names: the Basic auth user (RFC 6749 §2.3.1) or `client_id`. */
function clientOf(req: IncomingMessage, query: string): string | null {
  let id: string | null = null;
  const authorization = req.headers.authorization;
  if (authorization?.slice(0, 6).toLowerCase() === 'basic ') {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const user = decoded.split(':', 1)[0];
    try {
      id = decodeURIComponent(user.replaceAll('+', ' '));
    } catch {
      id = null;
    }
  } else if (query !== '') {
    id = new URLSearchParams(query).get('client_id');
  }
  return id !== null && CLIENT_ID.test(id) ? id : null;
}

/**
 * The engine's error format (`{error, error_description}`, `no-store`). RFC 6749 has no code for
 * a 429; `rate_limited` is the code the rest of the API answers a 429 with. Never a redirect:
 * the redirect_uri of a refused authorization request has not been checked.
 */
function sendTooMany(res: ServerResponse, limit: number, retryAfter: number): void {
  const body = JSON.stringify({
    error: 'rate_limited',
    error_description: `Too many requests. Retry after ${retryAfter} seconds.`,
  });
  res.writeHead(429, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Retry-After': String(retryAfter),
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': '0',
    'RateLimit-Reset': String(retryAfter),
  });
  res.end(body);
}
