import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../../auth/principal/principal';
import { AppError } from '../errors/app-error';
import { requestIdOf } from '../middleware/request-id.middleware';

const PRINCIPAL = Symbol('principal');
type WithPrincipal = Request & { [PRINCIPAL]?: Principal };

export function setPrincipal(req: Request, principal: Principal): void {
  (req as WithPrincipal)[PRINCIPAL] = principal;
}

export function principalOf(req: Request): Principal | undefined {
  return (req as WithPrincipal)[PRINCIPAL];
}

const DENIED_PERMISSION = Symbol('deniedPermission');

/** The route's permission the caller lacked, kept on the request for the access.denied event. */
export interface DeniedPermission {
  action: string;
  subject: string;
}
type WithDenied = Request & { [DENIED_PERMISSION]?: DeniedPermission };

export function setDeniedPermission(req: Request, permission: DeniedPermission): void {
  (req as WithDenied)[DENIED_PERMISSION] = permission;
}

export function deniedPermissionOf(req: Request): DeniedPermission | undefined {
  return (req as WithDenied)[DENIED_PERMISSION];
}

/** The authenticated caller; only on routes that require authentication. */
export const Auth = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = principalOf(context.switchToHttp().getRequest<Request>());
  if (!principal) throw AppError.unauthorized();
  return principal;
});

/** Where a request came from, for sessions and the audit log. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/**
 * The request's client, worked out on first use: most requests record no audit event and open no
 * session, and `req.ip` (proxy-aware address parsing) is not free.
 */
export function clientInfoOf(req: Request): ClientInfo {
  // `req.ip` honours TRUST_PROXY (Express's "trust proxy"), and only then X-Forwarded-For.
  return clientInfoFor(req, () => req.ip);
}

/** The same for a request Express has not seen, given how to find its address. */
export function clientInfoFor(req: IncomingMessage, address: () => string | undefined): ClientInfo {
  let ip: string | null | undefined;
  let userAgent: string | null | undefined;
  return {
    get ip() {
      ip ??= address()?.slice(0, 64) || null;
      return ip;
    },
    get userAgent() {
      const header = req.headers['user-agent'];
      userAgent ??= typeof header === 'string' ? header.slice(0, 512) : null;
      return userAgent;
    },
    requestId: requestIdOf(req) ?? null,
  };
}

export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo =>
  clientInfoOf(context.switchToHttp().getRequest<Request>()),
);
