import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
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

/**
 * Security headers (helmet): CSP by kind of page, HSTS when served over TLS (directly or
 * behind an https PUBLIC_URL), `nosniff`, `no-referrer`, and `Cache-Control: no-store` by
 * default, since most answers carry a token or personal data. Pages that set their own CSP
 * (the OAuth server's HTML) keep it.
 */
export function securityHeaders(config: AppConfig): RequestHandler {
  const overTls = config.http.tls !== null || config.http.publicUrl.startsWith('https://');
  const common = {
    hsts: overTls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' as const },
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' as const },
  };
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
  });
  const docs = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP },
  });
  const oidc = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: OIDC_CSP },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    const isDocs = req.path === '/docs' || req.path.startsWith('/docs/');
    const isOidc = req.path === '/oidc' || req.path.startsWith('/oidc/');
    (isDocs ? docs : isOidc ? oidc : api)(req, res, next);
  };
}
