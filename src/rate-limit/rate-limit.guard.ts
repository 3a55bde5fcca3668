import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { normalizeIp, ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { Request } from 'express';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { AppConfig } from '../config/app-config';
import type { RateLimitConfig, RateLimitRule } from '../config/config.types';
import { ACCESS_METADATA, type AccessRequirement } from '../common/decorators/access.decorators';
import type { AuthenticationHook } from '../common/guards/authentication-hooks';
import { principalOf } from '../common/http/request-context';
import { RATE_LIMIT_ROUTE_METADATA, type RouteRateLimit } from './rate-limit.decorator';
import { ROUTE_RATE_LIMITS } from './rate-limit-routes';
import { rateLimitedError } from '../common/errors/rate-limited.error';
import { RateLimitStorage } from './rate-limit.storage';
import { boundedCache } from '../common/cache/bounded-cache';

/** Which counter a request draws from. */
export interface RateLimitBucket {
  kind: 'caller' | 'route' | 'anonymous' | 'refused_credentials';
  /** The rule's name: a plan, a route rule, or `anonymous`. */
  name: string;
  /** The counter's identity: the caller, or the client IP, per rule. */
  tracker: string;
  rule: RateLimitRule;
  ip: string;
}

const BUCKET = Symbol('rateLimitBucket');
const CREDENTIALS_REFUSED = Symbol('credentialsRefused');
type LimitedRequest = Request & { [BUCKET]?: RateLimitBucket; [CREDENTIALS_REFUSED]?: boolean };

/**
 * The gateway's rate limiter, on `@nestjs/throttler` with one counter per request:
 *
 * - public routes: per client IP (`anonymous`), or per IP under a stricter route rule (login,
 *   register, password forgot/reset, refresh);
 * - authenticated routes: per caller (user, API key or OAuth client) with the limit of its
 *   tenant's plan. These are counted from the authentication guard's hooks, once the caller is
 *   known and before its permission is checked, so refused requests count too and the order of
 *   global guards does not matter;
 * - refused credentials: per client IP, in a counter of their own, so guessing tokens or API
 *   keys is limited; once an IP is over, its credentials are not even checked until the window
 *   ends (known locally, so this costs no round trip).
 *
 * Every limited answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`;
 * a 429 also `Retry-After`.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard implements AuthenticationHook {
  readonly name = 'rate-limit';
  protected override headerPrefix = 'RateLimit';
  private readonly limits: RateLimitConfig | null;
  private readonly keyPrefix: string;
  private readonly routeRules = new WeakMap<object, RouteRateLimit | null>();
  /** IPs over their refused-credentials limit, until when (ms). */
  private readonly refusedIps = boundedCache<string, number>(50_000);
  /** Counters already reported to the audit log in their current window. */
  private readonly reported = boundedCache<string, number>(50_000);

  // Explicit tokens: the base class declares its own (the throttler module's), which we replace.
  constructor(
    @Inject(RateLimitStorage) storage: RateLimitStorage,
    @Inject(Reflector) reflector: Reflector,
    config: AppConfig,
    private readonly audit: AuditService,
  ) {
    // One throttler; its limit and window are chosen per request by `handleRequest`.
    super({ throttlers: [{ name: 'default', limit: 1, ttl: 1 }] }, storage, reflector);
    this.limits = config.security.rateLimits;
    this.keyPrefix = `${config.redis.keyPrefix}rl:`;
  }

  override async onModuleInit(): Promise<void> {
    if (this.limits) await super.onModuleInit();
  }

  /** As a global guard: public routes only (authenticated ones are counted from the hooks). */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limits) return true;
    const access = this.reflector.getAllAndOverride<AccessRequirement | undefined>(
      ACCESS_METADATA,
      [context.getHandler(), context.getClass()],
    );
    if (access?.kind !== 'public') return true;
    return super.canActivate(context);
  }

  beforeAuthentication(context: ExecutionContext): void {
    if (!this.limits) return;
    const req = context.switchToHttp().getRequest<Request>();
    const until = this.refusedIps.get(clientIp(req)) ?? 0;
    const left = until - Date.now();
    if (left > 0) throw rateLimitedError(left / 1000, { limit: this.limits.anonymous.limit });
  }

  async afterAuthentication(context: ExecutionContext): Promise<void> {
    if (this.limits) await super.canActivate(context);
  }

  async onAuthenticationFailure(context: ExecutionContext): Promise<void> {
    if (!this.limits) return;
    context.switchToHttp().getRequest<LimitedRequest>()[CREDENTIALS_REFUSED] = true;
    await super.canActivate(context);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const req = request.context.switchToHttp().getRequest<LimitedRequest>();
    const bucket = this.bucketOf(request.context, req);
    req[BUCKET] = bucket;
    const ttl = bucket.rule.ttl * 1000;
    return super.handleRequest({
      ...request,
      limit: bucket.rule.limit,
      ttl,
      blockDuration: ttl,
      getTracker: () => bucket.tracker,
      generateKey: (_context, tracker) => `${this.keyPrefix}${tracker}`,
    });
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const req = context.switchToHttp().getRequest<LimitedRequest>();
    const bucket = req[BUCKET];
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    if (bucket) {
      if (bucket.kind === 'refused_credentials')
        this.refusedIps.set(bucket.ip, Date.now() + retryAfter * 1000);
      this.report(req, bucket, detail.limit, retryAfter);
    }
    return Promise.reject(rateLimitedError(retryAfter, { limit: detail.limit }));
  }

  /** The counter for this request; see the class comment. */
  bucketOf(context: ExecutionContext, req: LimitedRequest): RateLimitBucket {
    const limits = this.limits as RateLimitConfig;
    const ip = clientIp(req);
    const principal = principalOf(req);
    if (!principal && req[CREDENTIALS_REFUSED]) {
      return {
        kind: 'refused_credentials',
        name: 'anonymous',
        tracker: `refused:${ip}`,
        rule: limits.anonymous,
        ip,
      };
    }
    const caller = principal ? callerOf(principal) : `ip:${ip}`;
    const route = this.routeRuleOf(context, req);
    if (route) {
      return {
        kind: 'route',
        name: route,
        tracker: `${route}:${caller}`,
        rule: limits.routes[route],
        ip,
      };
    }
    if (principal) {
      const plan = principal.tenant.plan;
      return {
        kind: 'caller',
        name: plan,
        tracker: caller,
        rule: limits.tiers[plan] ?? limits.tiers.free,
        ip,
      };
    }
    return { kind: 'anonymous', name: 'anonymous', tracker: caller, rule: limits.anonymous, ip };
  }

  private routeRuleOf(context: ExecutionContext, req: Request): RouteRateLimit | null {
    const handler = context.getHandler();
    let rule = this.routeRules.get(handler);
    if (rule === undefined) {
      const path = (req.route as { path?: unknown } | undefined)?.path;
      rule =
        this.reflector.getAllAndOverride<RouteRateLimit | undefined>(RATE_LIMIT_ROUTE_METADATA, [
          handler,
          context.getClass(),
        ]) ??
        (typeof path === 'string' ? ROUTE_RATE_LIMITS[`${req.method} ${path}`] : undefined) ??
        null;
      this.routeRules.set(handler, rule);
    }
    return rule;
  }

  /** `rate_limit.exceeded`, once per counter and window, however many requests are refused. */
  private report(req: Request, bucket: RateLimitBucket, limit: number, retryAfter: number): void {
    const now = Date.now();
    if ((this.reported.get(bucket.tracker) ?? 0) > now) return;
    this.reported.set(bucket.tracker, now + retryAfter * 1000);
    const principal = principalOf(req);
    const route = (req.route as { path?: unknown } | undefined)?.path;
    this.audit.record({
      action: 'rate_limit.exceeded',
      outcome: 'failure',
      tenantId: principal?.tenant.id ?? null,
      target: principal
        ? { type: principal.type, id: principal.id }
        : { type: 'ip', id: bucket.ip },
      metadata: {
        bucket: bucket.kind,
        rule: bucket.name,
        limit,
        window: bucket.rule.ttl,
        retryAfter,
        route: `${req.method} ${typeof route === 'string' ? route : req.path}`.slice(0, 200),
      },
    });
  }
}

function callerOf(principal: Principal): string {
  return `${principal.type}:${principal.id}`;
}

/** The client address as Express resolved it (`TRUST_PROXY`), IPv6 grouped by /64. */
function clientIp(req: Request): string {
  return normalizeIp(req.ip ?? '', 64) || 'unknown';
}
