import { expect } from 'vitest';
import type { TestApp } from '../../support/app';
import type { TestDns } from './test-dns';

export interface SsoDomain {
  domain: string;
  status: 'pending' | 'verified';
  txtName: string;
  txtValue: string;
}

/** A connection as the API answers it (the fields tests read). */
export interface SsoConnectionAnswer {
  id: string;
  tenantId: string;
  type: 'saml' | 'oidc';
  name: string;
  domains: SsoDomain[];
  spEntityId: string;
  acsUrl: string;
  metadataUrl: string;
  callbackUrl: string;
  loginUrl: string;
  [field: string]: unknown;
}

/**
 * Creates a connection as `by` (an owner: creating one is owner-level, platform admin in the
 * root tenant) and proves each of its domains through the test DNS server, as a tenant would.
 */
export async function createConnection(
  t: TestApp,
  by: { headers: Record<string, string> },
  body: object,
  dns: TestDns,
): Promise<SsoConnectionAnswer> {
  const res = await t.http().post('/v1/sso/connections').set(by.headers).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return verifyDomains(t, by, res.body as SsoConnectionAnswer, dns);
}

/** Publishes the challenge of every pending domain, then `POST …/domains/verify`: all verified. */
export async function verifyDomains(
  t: TestApp,
  by: { headers: Record<string, string> },
  connection: SsoConnectionAnswer,
  dns: TestDns,
): Promise<SsoConnectionAnswer> {
  const pending = connection.domains.filter((domain) => domain.status === 'pending');
  if (pending.length === 0) return connection;
  for (const domain of pending) dns.publish(domain.txtName, domain.txtValue);
  const res = await t
    .http()
    .post(`/v1/sso/connections/${connection.id}/domains/verify`)
    .set(by.headers);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const answer = res.body as SsoConnectionAnswer;
  expect(answer.domains.map((domain) => domain.status)).toEqual(
    answer.domains.map(() => 'verified'),
  );
  return answer;
}

/** The domain names of a connection answer, whatever their status. */
export function domainNames(connection: { domains: SsoDomain[] }): string[] {
  return connection.domains.map((domain) => domain.domain);
}
