import type { RateLimitConfig } from './config.types';

/**
 * Default limits; `RATE_LIMITS` overrides any part of this object (a deep merge), and
 * docs/configuration.md documents the same values. Windows are in seconds.
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  anonymous: { limit: 120, ttl: 60 },
  tiers: {
    free: { limit: 600, ttl: 60 },
    pro: { limit: 3000, ttl: 60 },
    enterprise: { limit: 12000, ttl: 60 },
  },
  routes: {
    login: { limit: 20, ttl: 60 },
    register: { limit: 10, ttl: 60 },
    passwordForgot: { limit: 5, ttl: 60 },
    passwordReset: { limit: 10, ttl: 60 },
    refresh: { limit: 60, ttl: 60 },
    // The OAuth engine, per client IP and client (src/rate-limit/engine-rate-limit.ts).
    // Authorize and end-session are browser steps, a few per sign-in, and each writes rows.
    oidcAuthorize: { limit: 120, ttl: 60 },
    // 20 tokens/s per client and address: well past a client that caches its tokens, and a
    // client-credentials client at its limit is misbehaving (the benchmark runs with limits off).
    oidcToken: { limit: 1200, ttl: 60 },
    // Resource servers may introspect on every request they serve.
    oidcIntrospection: { limit: 3000, ttl: 60 },
    oidcUserinfo: { limit: 600, ttl: 60 },
  },
};
