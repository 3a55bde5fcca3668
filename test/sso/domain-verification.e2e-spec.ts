import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { CLOSED_PORT } from '../support/ports';
import { selectRows } from '../support/sql';
import { createConnection, type SsoConnectionAnswer, verifyDomains } from './support/connections';
import {
  buildAssertion,
  buildResponse,
  createIdpKeys,
  type IdpKeys,
  removeIdpKeys,
  signAssertion,
} from './support/saml-idp';
import {
  auditEvents,
  counts,
  metadataOf,
  postAcs,
  SSO_ENV,
  startSamlLogin,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';
import { TestDns } from './support/test-dns';

const EVIL_IDP = 'https://idp.evil.example/saml';

/**
 * F3: a domain claim proves nothing until its DNS challenge is published. Tenant `evil` claims
 * the domain of tenant `bigcorp` and tries to route bigcorp's people to its own IdP.
 */
describe('SSO domains are proven by DNS (F3)', () => {
  let t: TestApp;
  let dns: TestDns;
  let keys: IdpKeys;
  let evilTenant: Tenant;
  let bigcorpTenant: Tenant;
  let evil: Awaited<ReturnType<typeof userWithRole>>;
  let bigcorp: Awaited<ReturnType<typeof userWithRole>>;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys('Evil IdP');
    evilTenant = await createTenant(t);
    bigcorpTenant = await createTenant(t);
    evil = await userWithRole(t, evilTenant, 'owner');
    bigcorp = await userWithRole(t, bigcorpTenant, 'owner');
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  function samlBody(domains: string[], extra: object = {}) {
    return {
      type: 'saml',
      name: 'IdP',
      domains,
      jitProvisioning: true,
      saml: { idpEntityId: EVIL_IDP, ssoUrl: `${EVIL_IDP}/sso`, certificate: keys.certificate },
      ...extra,
    };
  }

  async function claim(
    by: { headers: Record<string, string> },
    domains: string[],
    extra: object = {},
  ): Promise<SsoConnectionAnswer> {
    const res = await t
      .http()
      .post('/v1/sso/connections')
      .set(by.headers)
      .send(samlBody(domains, extra));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as SsoConnectionAnswer;
  }

  const verify = (connection: { id: string }, by: { headers: Record<string, string> }) =>
    t.http().post(`/v1/sso/connections/${connection.id}/domains/verify`).set(by.headers);

  const discover = (email: string) => t.http().post('/v1/sso/discover').send({ email });

  it('a squatter’s pending claim neither routes discovery nor blocks the domain’s real owner; once proven, the squatter’s verify answers 409', async () => {
    const domain = uniqueDomain('bigcorp');
    const squat = await claim(evil, [domain]);
    expect(squat.domains).toEqual([
      {
        domain,
        status: 'pending',
        txtName: `_gatehouse-challenge.${domain}`,
        txtValue: expect.stringMatching(/^gatehouse-domain-verification=/),
      },
    ]);
    expect((await discover(`ceo@${domain}`)).status).toBe(404);
    // Evil cannot publish in bigcorp's zone: its verification finds nothing and stays pending.
    const tried = await verify(squat, evil);
    expect(tried.status).toBe(200);
    expect(tried.body.domains[0].status).toBe('pending');
    expect(dns.queries).toContain(`_gatehouse-challenge.${domain}`);

    const real = await createConnection(t, bigcorp, samlBody([domain]), dns);
    expect(real.domains[0]).toMatchObject({ domain, status: 'verified' });
    expect(real.domains[0].txtValue).not.toBe(squat.domains[0].txtValue);
    const found = await discover(`ceo@${domain}`);
    expect(found.status).toBe(200);
    expect(found.body.connectionId).toBe(real.id);

    // Bigcorp's record is public now, yet it is bigcorp's value, not evil's; and the domain is taken.
    const late = await verify(squat, evil);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('conflict');
    const third = await userWithRole(t, await createTenant(t), 'owner');
    const again = await t
      .http()
      .post('/v1/sso/connections')
      .set(third.headers)
      .send(samlBody([domain]));
    expect(again.status).toBe(409);
    const onUpdate = await t
      .http()
      .patch(`/v1/sso/connections/${squat.id}`)
      .set(evil.headers)
      .send({ domains: [uniqueDomain('evil'), domain] });
    // Evil may keep its own stale claim: pending, it routes nothing and can never be verified.
    expect(onUpdate.status, JSON.stringify(onUpdate.body)).toBe(200);
    const rows = await selectRows(t, 'sso_connection_domains', 'connection_id = :id', {
      id: squat.id,
    });
    expect(rows.map((row) => row.verified_at)).toEqual([null, null]);
    const verifiedEvents = (await auditEvents(t, 'sso.connection.domains_verified')).filter(
      (event) => event.target_id === real.id,
    );
    expect(verifiedEvents.map(metadataOf)).toEqual([{ domains: [domain] }]);
  });

  it('another tenant cannot add a domain someone verified, by create or by update', async () => {
    const domain = uniqueDomain('owned');
    await createConnection(t, bigcorp, samlBody([domain]), dns);
    const mine = await claim(evil, [uniqueDomain('evil-own')]);
    const res = await t
      .http()
      .patch(`/v1/sso/connections/${mine.id}`)
      .set(evil.headers)
      .send({ domains: [domain] });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('conflict');
    const create = await t
      .http()
      .post('/v1/sso/connections')
      .set(evil.headers)
      .send(samlBody([domain.toUpperCase()]));
    expect(create.status).toBe(409);
  });

  it('only the exact value at the challenge name proves a domain; a failed lookup leaves it pending', async () => {
    const domain = uniqueDomain('proof');
    const pending = await claim(bigcorp, [domain]);
    const [challenge] = pending.domains;
    const statusAfterVerify = async () => {
      const res = await verify(pending, bigcorp);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.domains[0].status as string;
    };
    expect(await statusAfterVerify()).toBe('pending');
    dns.publish(domain, challenge.txtValue);
    expect(await statusAfterVerify()).toBe('pending');
    dns.publish(challenge.txtName, `${challenge.txtValue}x`);
    dns.publish(challenge.txtName, challenge.txtValue.slice(0, -1));
    expect(await statusAfterVerify()).toBe('pending');
    dns.publish(challenge.txtName, challenge.txtValue);
    expect(await statusAfterVerify()).toBe('verified');
  });

  it('an update keeps the proof of the domains it keeps; removed ones are gone', async () => {
    const [kept, dropped, added] = [
      uniqueDomain('kept'),
      uniqueDomain('drop'),
      uniqueDomain('add'),
    ];
    const connection = await createConnection(t, bigcorp, samlBody([kept, dropped]), dns);
    const res = await t
      .http()
      .patch(`/v1/sso/connections/${connection.id}`)
      .set(bigcorp.headers)
      .send({ domains: [kept, added] });
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(
      (res.body.domains as SsoConnectionAnswer['domains']).map((d) => [d.domain, d]),
    );
    expect(Object.keys(byName).sort()).toEqual([added, kept].sort());
    expect(byName[kept]).toEqual(connection.domains.find((d) => d.domain === kept));
    expect(byName[added].status).toBe('pending');
    expect((await discover(`a@${dropped}`)).status).toBe(404);
    expect((await discover(`a@${kept}`)).status).toBe(200);
    expect((await discover(`a@${added}`)).status).toBe(404);
  });

  it('a SAML login asserting an email of a pending domain neither provisions nor links', async () => {
    const domain = uniqueDomain('unproven');
    const connection = await claim(evil, [domain]);
    const victim = await register(t, evilTenant.slug, `victim@${domain}`);
    const acs = async (nameId: string) => {
      const requestId = await startSamlLogin(t, connection.id);
      const xml = signAssertion(
        buildResponse({
          idpEntityId: EVIL_IDP,
          destination: connection.acsUrl,
          inResponseTo: requestId,
          body: buildAssertion({
            idpEntityId: EVIL_IDP,
            audience: connection.spEntityId,
            recipient: connection.acsUrl,
            inResponseTo: requestId,
            nameId,
          }),
        }),
        { keys },
      );
      return postAcs(t, connection.id, xml);
    };
    const before = await counts(t);
    for (const nameId of [`newcomer@${domain}`, victim.user.email]) {
      const res = await acs(nameId);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('sso_failed');
    }
    expect(await counts(t)).toEqual(before);
    expect(
      await selectRows(t, 'user_identities', 'user_id = :id', { id: victim.user.id }),
    ).toHaveLength(0);
    const reasons = (await auditEvents(t, 'auth.sso.login'))
      .filter((event) => event.outcome === 'failure')
      .map((event) => metadataOf(event).reason);
    expect(reasons).toContain('email_domain_not_allowed');
    // The control: once the domain is proven, the same assertion signs the newcomer in.
    await verifyDomains(t, evil, connection, dns);
    expect((await acs(`newcomer@${domain}`)).status).toBe(302);
  });

  it('with no reachable DNS server, verification answers 200 and leaves the domain pending', async () => {
    const offline = await createTestApp({
      env: { ...SSO_ENV, DNS_SERVERS: `127.0.0.1:${CLOSED_PORT}` },
    });
    try {
      const tenant = await createTenant(offline);
      const owner = await userWithRole(offline, tenant, 'owner');
      const res = await offline
        .http()
        .post('/v1/sso/connections')
        .set(owner.headers)
        .send(samlBody([uniqueDomain('offline')]));
      expect(res.status).toBe(201);
      const verified = await offline
        .http()
        .post(`/v1/sso/connections/${res.body.id}/domains/verify`)
        .set(owner.headers);
      expect(verified.status).toBe(200);
      expect(verified.body.domains[0].status).toBe('pending');
    } finally {
      await offline.close();
    }
  });
});
