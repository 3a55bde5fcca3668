import { expect } from 'vitest';
import { DataSource } from 'typeorm';
import { InvalidationBus } from '../../../src/common/cache/invalidation-bus';
import type { Tenant } from '../../../src/tenants/entities/tenant.entity';
import { bearer, register, uniqueEmail } from '../../factories';
import type { TestApp } from '../../support/app';
import { encode, readAuthnRequest } from './saml-idp';

export const APP_CALLBACK = 'https://app.example.com/sso/callback';
export const SSO_ENV = { APP_REDIRECT_ALLOWLIST: `${APP_CALLBACK},http://localhost:5173/cb` };

let counter = 0;
/** A domain no other test uses (domains are unique across all tenants). */
export function uniqueDomain(prefix = 'corp'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}.test`;
}

/** Gives a user a built-in role of its tenant, straight in the database. */
export async function grantRole(
  t: TestApp,
  user: { id: string; tenantId: string },
  role: string,
): Promise<void> {
  const dataSource = t.app.get(DataSource);
  const [row] = await dataSource.query<{ id: string }[]>(
    dataSource.options.type === 'postgres'
      ? 'SELECT id FROM roles WHERE tenant_id = $1 AND name = $2'
      : 'SELECT id FROM roles WHERE tenant_id = ? AND name = ?',
    [user.tenantId, role],
  );
  await dataSource
    .createQueryBuilder()
    .insert()
    .into('user_roles')
    .values({ user_id: user.id, role_id: row.id })
    .execute();
  t.app.get(InvalidationBus).publish('user', user.id);
}

export async function roleId(t: TestApp, tenantId: string, name: string): Promise<string> {
  const dataSource = t.app.get(DataSource);
  const [row] = await dataSource.query<{ id: string }[]>(
    dataSource.options.type === 'postgres'
      ? 'SELECT id FROM roles WHERE tenant_id = $1 AND name = $2'
      : 'SELECT id FROM roles WHERE tenant_id = ? AND name = ?',
    [tenantId, name],
  );
  return row.id;
}

/** A user of the tenant holding a built-in role, and its access token. */
export async function userWithRole(
  t: TestApp,
  tenant: Tenant,
  role: 'owner' | 'admin' | 'member',
): Promise<{ id: string; email: string; token: string; headers: Record<string, string> }> {
  const { user, accessToken } = await register(t, tenant.slug, uniqueEmail(role));
  if (role !== 'member') await grantRole(t, user, role);
  return { id: user.id, email: user.email, token: accessToken, headers: bearer(accessToken) };
}

export interface Counts {
  users: number;
  identities: number;
  sessions: number;
  codes: number;
}

/** Rows that a refused login must never add. */
export async function counts(t: TestApp): Promise<Counts> {
  const dataSource = t.app.get(DataSource);
  const count = async (table: string) =>
    Number(
      (await dataSource.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n,
    );
  return {
    users: await count('users'),
    identities: await count('user_identities'),
    sessions: await count('sessions'),
    codes: await count('one_time_codes'),
  };
}

/**
 * The browser-binding cookie (`name=value`) set by the start of each SAML login, by
 * AuthnRequest id: what the browser that started that login holds.
 */
const samlBindings = new Map<string, string>();

/** The `name=value` of the SAML binding cookie a login start set. */
export function samlBindingCookie(setCookie: unknown): string {
  const line = (Array.isArray(setCookie) ? (setCookie as string[]) : []).find((entry) =>
    /^(?:__Host-)?gatehouse-saml=/.test(entry),
  );
  if (!line) throw new Error('The SAML login start set no binding cookie');
  return line.split(';')[0];
}

/**
 * Starts an SP-initiated login and answers the AuthnRequest's id. The browser's binding
 * cookie is remembered: `postAcs` sends it for a response to this request, as that browser
 * would.
 */
export async function startSamlLogin(
  t: TestApp,
  connectionId: string,
  redirectUri = APP_CALLBACK,
  query: Record<string, string> = {},
): Promise<string> {
  const res = await t
    .http()
    .get(`/v1/sso/saml/${connectionId}/login`)
    .query({ redirect_uri: redirectUri, ...query });
  expect(res.status, JSON.stringify(res.body)).toBe(302);
  const { id } = readAuthnRequest(String(res.headers.location));
  samlBindings.set(id, samlBindingCookie(res.headers['set-cookie']));
  return id;
}

/**
 * Posts a response to the ACS. By default from the browser that started the login the
 * response answers (its InResponseTo); `cookie` sends another browser's Cookie header, or
 * none with null.
 */
export function postAcs(
  t: TestApp,
  connectionId: string,
  responseXml: string,
  options: { cookie?: string | null } = {},
) {
  const inResponseTo = /\sInResponseTo="([^"]+)"/.exec(responseXml)?.[1];
  const cookie =
    options.cookie !== undefined
      ? options.cookie
      : inResponseTo
        ? (samlBindings.get(inResponseTo) ?? null)
        : null;
  const request = t.http().post(`/v1/sso/saml/${connectionId}/acs`).type('form');
  if (cookie) void request.set('Cookie', cookie);
  return request.send({ SAMLResponse: encode(responseXml) });
}

/** The one-time code of a successful login redirect. */
export function codeOf(location: string | undefined): string {
  const code = new URL(String(location)).searchParams.get('code');
  if (!code) throw new Error(`No code in ${String(location)}`);
  return code;
}

/** The audit events with this action, once buffered events are written. */
export async function auditEvents(
  t: TestApp,
  action: string,
): Promise<
  { outcome: string; tenant_id: string; target_id: string | null; metadata: string | object }[]
> {
  await t.flushAudit();
  const dataSource = t.app.get(DataSource);
  return dataSource.query(
    dataSource.options.type === 'postgres'
      ? 'SELECT outcome, tenant_id, target_id, metadata FROM audit_events WHERE action = $1 ORDER BY id'
      : 'SELECT outcome, tenant_id, target_id, metadata FROM audit_events WHERE action = ? ORDER BY id',
    [action],
  );
}

export function metadataOf(row: { metadata: string | object }): Record<string, unknown> {
  return (typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata) as Record<
    string,
    unknown
  >;
}
