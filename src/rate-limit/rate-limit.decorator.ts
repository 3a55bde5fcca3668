import { SetMetadata } from '@nestjs/common';
import type { RateLimitConfig } from '../config/config.types';

export type RouteRateLimit = keyof RateLimitConfig['routes'];

export const RATE_LIMIT_ROUTE_METADATA = 'gatehouse:rate-limit-route';

/**
 * Puts a route under one of the stricter limits of `RATE_LIMITS.routes` (per client IP on
 * public routes, per caller on authenticated ones) instead of the general one. The credential
 * routes are also matched by path (`ROUTE_RATE_LIMITS`), so they are covered without it.
 */
export function RateLimit(rule: RouteRateLimit): MethodDecorator & ClassDecorator {
  return SetMetadata(RATE_LIMIT_ROUTE_METADATA, rule);
}
