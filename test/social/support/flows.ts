import { expect } from 'vitest';
import { bearer, type TokenPair } from '../../factories';
import type { TestApp } from '../../support/app';
import { selectRows } from '../../support/sql';
import type { Browser } from './browser';

export const PUBLIC_URL = 'http://gatehouse.test';
export const APP = 'https://app.example.com/auth/callback';

export function startUrl(provider: string, tenant: string, redirectUri = APP): string {
  return `/v1/auth/social/${provider}?tenant=${tenant}&redirect_uri=${encodeURIComponent(redirectUri)}`;
}

export function callbackPrefix(provider: string): string {
  return `${PUBLIC_URL}/v1/auth/social/${provider}/callback`;
}

export interface LoginResult {
  /** Where the browser came back to the app. */
  back: URL;
  code: string | null;
  error: string | null;
  /** The provider's redirect to our callback, as the browser followed it. */
  callbackUrl: string | null;
}

/** Start to the app's redirect URI, following every redirect in between. */
export async function socialLogin(
  browser: Browser,
  provider: string,
  tenant: string,
  redirectUri = APP,
): Promise<LoginResult> {
  const { last, visited } = await browser.follow(startUrl(provider, tenant, redirectUri), APP);
  expect(last.status, JSON.stringify(last.body)).toBe(302);
  return result(visited, provider);
}

/** The redirects up to (not including) our callback: for tests that tamper with it. */
export async function untilCallback(
  browser: Browser,
  provider: string,
  tenant: string,
  rewriteAuthorization?: (url: URL) => void,
): Promise<string> {
  const start = await browser.get(startUrl(provider, tenant));
  expect(start.status, JSON.stringify(start.body)).toBe(302);
  const authorization = new URL(start.location ?? '');
  rewriteAuthorization?.(authorization);
  const { visited } = await browser.follow(authorization.href, callbackPrefix(provider));
  const callback = visited.at(-1) ?? '';
  expect(callback.startsWith(callbackPrefix(provider))).toBe(true);
  return callback;
}

export function result(visited: string[], provider: string): LoginResult {
  const back = new URL(visited.at(-1) ?? '');
  expect(`${back.origin}${back.pathname}`).toBe(APP);
  return {
    back,
    code: back.searchParams.get('code'),
    error: back.searchParams.get('error'),
    callbackUrl: visited.find((url) => url.startsWith(callbackPrefix(provider))) ?? null,
  };
}

/** Trades the one-time code and reads who it signed in. */
export async function exchange(
  t: TestApp,
  code: string | null,
): Promise<{ pair: TokenPair; me: { user: Record<string, unknown> } }> {
  const res = await t.http().post('/v1/auth/exchange').send({ code });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const pair = res.body as TokenPair;
  const me = await t.http().get('/v1/auth/me').set(bearer(pair.accessToken));
  expect(me.status).toBe(200);
  return { pair, me: me.body as { user: Record<string, unknown> } };
}

/** The `auth.social.login` events of one outcome, oldest first. */
export async function socialAudit(
  t: TestApp,
  outcome: 'success' | 'failure',
): Promise<
  { tenantId: string | null; actorId: string | null; metadata: Record<string, unknown> }[]
> {
  await t.flushAudit();
  const rows = await selectRows(t, 'audit_events', 'action = :action AND outcome = :outcome', {
    action: 'auth.social.login',
    outcome,
  });
  // UUID v7 ids sort in the order the events were recorded.
  rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return rows.map((row) => ({
    tenantId: (row.tenant_id as string | null) ?? null,
    actorId: (row.actor_id as string | null) ?? null,
    metadata: (typeof row.metadata === 'string'
      ? JSON.parse(row.metadata)
      : row.metadata) as Record<string, unknown>,
  }));
}
