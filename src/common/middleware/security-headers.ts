import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { ServerResponse } from 'node:http';
import type { AppConfig } from '../../config/app-config';

/** The JSON API renders nothing: it may load nothing and be framed by nobody. */
const API_CSP = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

/** Swagger UI: its own scripts and styles only (it injects inline styles), never framed. */
const DOCS_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

/**
 * The OAuth server's HTML (login, consent, logout, errors): its own stylesheet, forms posted to
 * itself, never framed. Those pages set a CSP of their own (it also names the client's redirect
 * origin in `form-action`), which replaces this one, since it is set later; this is the floor
 * for everything else under /oidc. `script-src 'none'` is explicit so that oidc-provider can
 * allow, by its hash, the one script of its self-submitting logout form (it appends the hash
 * to an existing `script-src`; with the hash present, 'none' no longer applies).
 */
const OIDC_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

type HeaderList = readonly (readonly [string, string])[];

/**
 * The headers a helmet middleware sets, computed once. Helmet's headers depend only on its
 * options (no nonces here), so running its dozen sub-middlewares on every request would only
 * repeat the same work on the hot path; helmet stays the source of truth.
 */
function headersOf(middleware: ReturnType<typeof helmet>): HeaderList {
  const headers: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) =>
      headers.push([name, Array.isArray(value) ? value.join(', ') : String(value)]),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  middleware({ method: 'GET', headers: {} } as never, res as never, () => undefined);
  return headers;
}

/** Sets one kind of page's security headers on an answer. */
export type SecurityHeaders = (res: ServerResponse) => void;

/**
 * Security headers (helmet) by kind of page: CSP, HSTS when served over TLS (directly or
 * behind an https PUBLIC_URL), `nosniff`, `no-referrer`, and `Cache-Control: no-store` by
 * default, since most answers carry a token or personal data. Pages that set their own CSP
 * (the OAuth server's HTML) keep it.
 */
export function securityHeaderSets(
  config: AppConfig,
): Record<'api' | 'docs' | 'oidc', SecurityHeaders> {
  const overTls = config.http.tls !== null || config.http.publicUrl.startsWith('https://');
  const common = {
    hsts: overTls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' as const },
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' as const },
  };
  // JSON is never rendered as a page, so the headers that only steer how browsers treat
  // documents (DNS prefetch, IE's download and XSS filters, Flash policies, agent clusters,
  // framing beyond the CSP's frame-ancestors) would be bytes on every answer for nothing.
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    originAgentCluster: false,
    frameguard: false,
  });
  const docs = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP },
  });
  const oidc = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: OIDC_CSP },
  });
  const setting =
    (headers: HeaderList): SecurityHeaders =>
    (res) => {
      for (const [name, value] of headers) res.setHeader(name, value);
      res.setHeader('Cache-Control', 'no-store');
    };
  return {
    api: setting(headersOf(api)),
    docs: setting(headersOf(docs)),
    oidc: setting(headersOf(oidc)),
  };
}

/** The security headers of every route Express serves, chosen by path. */
export function securityHeaders(config: AppConfig): RequestHandler {
  const sets = securityHeaderSets(config);
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const set =
      path === '/docs' || path.startsWith('/docs/')
        ? sets.docs
        : path === '/oidc' || path.startsWith('/oidc/')
          ? sets.oidc
          : sets.api;
    set(res);
    next();
  };
}
