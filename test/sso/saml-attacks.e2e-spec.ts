import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/entities/tenant.entity';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import {
  type AssertionOptions,
  buildAssertion,
  buildResponse,
  createIdpKeys,
  encode,
  type IdpKeys,
  removeIdpKeys,
  RSA_SHA1,
  samlId,
  signAssertion,
  signResponse,
  signStandaloneAssertion,
} from './support/saml-idp';
import { createConnection as createVerifiedConnection } from './support/connections';
import { TestDns } from './support/test-dns';
import {
  auditEvents,
  codeOf,
  counts,
  metadataOf,
  postAcs,
  SSO_ENV,
  startSamlLogin,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';

const IDP = 'https://idp.shared.example/saml';

interface Connection {
  id: string;
  spEntityId: string;
  acsUrl: string;
}

/**
 * Every attack here is a response the ACS must refuse with 401 `sso_failed` (never a 500),
 * creating no user, identity, session or code; the audit reason proves which check stopped it.
 */
describe('SAML ACS attacks', () => {
  let t: TestApp;
  let keys: IdpKeys;
  let attacker: IdpKeys;
  let tenantA: Tenant;
  let tenantB: Tenant;
  let connectionA: Connection;
  let connectionB: Connection;
  let domainA: string;
  let domainB: string;
  let victim: { id: string; email: string };
  let dns: TestDns;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys('Shared IdP');
    attacker = createIdpKeys('Attacker');
    tenantA = await createTenant(t);
    tenantB = await createTenant(t);
    domainA = uniqueDomain('a');
    domainB = uniqueDomain('b');
    // Both tenants use the same IdP and certificate (one Okta org for two customers, say):
    // only the audience, the request and the replay cache keep their logins apart.
    connectionA = await createConnection(tenantA, domainA);
    connectionB = await createConnection(tenantB, domainB);
    victim = (await register(t, tenantA.slug, `admin@${domainA}`)).user;
    // A verified account: SSO links no other (review F6).
    await updateRow(t, 'users', victim.id, { emailVerified: true });
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  async function createConnection(tenant: Tenant, domain: string): Promise<Connection> {
    const owner = await userWithRole(t, tenant, 'owner');
    return createVerifiedConnection(
      t,
      owner,
      {
        type: 'saml',
        name: 'Shared IdP',
        domains: [domain],
        jitProvisioning: true,
        saml: {
          idpEntityId: IDP,
          ssoUrl: 'https://idp.shared.example/sso',
          certificate: keys.certificate,
        },
      },
      dns,
    );
  }

  function assertionFor(
    connection: Connection,
    requestId: string | null,
    overrides: Partial<AssertionOptions> = {},
  ): string {
    return buildAssertion({
      idpEntityId: IDP,
      audience: connection.spEntityId,
      recipient: connection.acsUrl,
      inResponseTo: requestId,
      nameId: victim.email,
      ...overrides,
    });
  }

  function responseWith(connection: Connection, requestId: string | null, body: string): string {
    return buildResponse({
      idpEntityId: IDP,
      destination: connection.acsUrl,
      inResponseTo: requestId,
      body,
    });
  }

  /** A correctly signed response for `requestId`. */
  function validResponse(
    connection: Connection,
    requestId: string,
    overrides: Partial<AssertionOptions> = {},
  ) {
    return signAssertion(
      responseWith(connection, requestId, assertionFor(connection, requestId, overrides)),
      {
        keys,
      },
    );
  }

  async function expectRefused(
    connection: Connection,
    xml: string | { raw: string },
    reason: string | RegExp,
  ): Promise<void> {
    const before = await counts(t);
    const res =
      typeof xml === 'string'
        ? await postAcs(t, connection.id, xml)
        : await t
            .http()
            .post(`/v1/sso/saml/${connection.id}/acs`)
            .type('form')
            .send({ SAMLResponse: xml.raw });
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('sso_failed');
    expect(res.headers.location).toBeUndefined();
    expect(await counts(t)).toEqual(before);
    const failures = (await auditEvents(t, 'auth.sso.login')).filter(
      (event) => event.outcome === 'failure',
    );
    const last = failures[failures.length - 1];
    expect(last.tenant_id).toBe(connection === connectionA ? tenantA.id : tenantB.id);
    expect(metadataOf(last).reason).toMatch(reason);
  }

  it('control: the valid response signs the victim in (so each attack below differs by one thing)', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const res = await postAcs(t, connectionA.id, validResponse(connectionA, requestId));
    expect(res.status).toBe(302);
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(res.headers.location) });
    const me = await t.http().get('/v1/auth/me').set(bearer(exchange.body.accessToken));
    expect(me.body.user.id).toBe(victim.id);
  });

  it('unsigned response', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    await expectRefused(
      connectionA,
      responseWith(connectionA, requestId, assertionFor(connectionA, requestId)),
      'assertion_unsigned',
    );
  });

  it('unsigned assertion inside a signed response', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = signResponse(
      responseWith(connectionA, requestId, assertionFor(connectionA, requestId)),
      { keys },
    );
    await expectRefused(connectionA, xml, 'assertion_unsigned');
  });

  it('assertion signed with another key (whose certificate it carries in KeyInfo)', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = signAssertion(
      responseWith(connectionA, requestId, assertionFor(connectionA, requestId)),
      {
        keys: attacker,
      },
    );
    await expectRefused(connectionA, xml, 'invalid_signature');
  });

  it('a signed envelope that does not verify, around a valid signed assertion', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = signResponse(validResponse(connectionA, requestId), { keys: attacker });
    await expectRefused(connectionA, xml, 'invalid_signature');
  });

  it('assertion edited after signing (NameID changed)', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const signed = validResponse(connectionA, requestId, { nameId: `intern@${domainA}` });
    await expectRefused(
      connectionA,
      signed.replace(`intern@${domainA}`, victim.email),
      'invalid_signature',
    );
  });

  it('SHA-1 signature (valid, but weak)', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = signAssertion(
      responseWith(connectionA, requestId, assertionFor(connectionA, requestId)),
      {
        keys,
        algorithm: RSA_SHA1,
      },
    );
    await expectRefused(connectionA, xml, 'weak_signature_algorithm');
  });

  describe('signature wrapping', () => {
    /** A genuine assertion for someone else, signed by the real IdP. */
    function genuineSigned(requestId: string): { signed: string; id: string } {
      const id = samlId();
      return {
        id,
        signed: signStandaloneAssertion(
          assertionFor(connectionA, requestId, { id, nameId: `intern@${domainA}` }),
          {
            keys,
          },
        ),
      };
    }

    it('moved: the signed assertion hidden in Extensions, an evil one in its place', async () => {
      const requestId = await startSamlLogin(t, connectionA.id);
      const { signed } = genuineSigned(requestId);
      const evil = assertionFor(connectionA, requestId);
      const body = `<samlp:Extensions>${signed}</samlp:Extensions>${evil}`;
      await expectRefused(
        connectionA,
        responseWith(connectionA, requestId, body),
        'assertion_wrapping',
      );
    });

    it('duplicated: an evil copy with the same ID next to the signed assertion', async () => {
      const requestId = await startSamlLogin(t, connectionA.id);
      const { signed, id } = genuineSigned(requestId);
      const evil = assertionFor(connectionA, requestId, { id });
      await expectRefused(
        connectionA,
        responseWith(connectionA, requestId, evil + signed),
        'assertion_wrapping',
      );
    });

    it('nested: the signed assertion inside an evil one (in its Advice)', async () => {
      const requestId = await startSamlLogin(t, connectionA.id);
      const { signed } = genuineSigned(requestId);
      const evil = assertionFor(connectionA, requestId).replace(
        '<saml:Conditions',
        `<saml:Advice>${signed}</saml:Advice><saml:Conditions`,
      );
      await expectRefused(
        connectionA,
        responseWith(connectionA, requestId, evil),
        'assertion_wrapping',
      );
    });

    it('the signature of one assertion moved onto an evil one with the same ID', async () => {
      const requestId = await startSamlLogin(t, connectionA.id);
      const { signed, id } = genuineSigned(requestId);
      const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
      const evil = assertionFor(connectionA, requestId, { id }).replace(
        `${IDP}</saml:Issuer>`,
        `${IDP}</saml:Issuer>${signature}`,
      );
      await expectRefused(
        connectionA,
        responseWith(connectionA, requestId, evil),
        'invalid_signature',
      );
    });
  });

  it('a comment inside the NameID (admin@x.com<!---->.evil.com)', async () => {
    // The IdP signed `admin@<domain>.evil.com`; exclusive C14N drops comments, so the
    // signature still verifies after the comment is planted, and a reader of the first text
    // node would see the victim's address.
    const requestId = await startSamlLogin(t, connectionA.id);
    const signed = validResponse(connectionA, requestId, { nameId: `${victim.email}.evil.com` });
    const planted = signed.replace(`${victim.email}.evil.com`, `${victim.email}<!---->.evil.com`);
    expect(planted).not.toBe(signed);
    await expectRefused(connectionA, planted, 'xml_comment');
    const identities = await selectRows(t, 'user_identities', 'user_id = :id', { id: victim.id });
    expect(identities.map((row) => row.subject)).not.toContain(`${victim.email}.evil.com`);
  });

  it('wrong audience (signed for another SP)', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    await expectRefused(
      connectionA,
      validResponse(connectionA, requestId, { audience: 'https://other-sp.example/metadata' }),
      'audience_mismatch',
    );
  });

  it('wrong recipient in the signed bearer confirmation', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    await expectRefused(
      connectionA,
      validResponse(connectionA, requestId, { recipient: 'https://other-sp.example/acs' }),
      'subject_confirmation',
    );
  });

  it("another tenant's connection: A's response posted to B's ACS", async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const forA = validResponse(connectionA, requestId);
    await expectRefused(connectionB, forA, /in_response_to|audience_mismatch|destination_mismatch/);
    // Even with the envelope re-addressed to B and B's own request id, the signed audience is A's.
    const requestB = await startSamlLogin(t, connectionB.id);
    const readdressed = signAssertion(
      buildResponse({
        idpEntityId: IDP,
        destination: connectionB.acsUrl,
        inResponseTo: requestB,
        body: assertionFor(connectionA, requestB, { recipient: connectionB.acsUrl }),
      }),
      { keys },
    );
    await expectRefused(connectionB, readdressed, 'audience_mismatch');
  });

  it('a connection of tenant A never signs anyone into tenant B', async () => {
    // The same address exists in tenant B; A's IdP asserts it (its domain is A's).
    const twin = await register(t, tenantB.slug, `twin@${domainA}`);
    const requestId = await startSamlLogin(t, connectionA.id);
    const res = await postAcs(
      t,
      connectionA.id,
      validResponse(connectionA, requestId, { nameId: twin.user.email }),
    );
    expect(res.status).toBe(302);
    const exchange = await t
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(res.headers.location) });
    const me = await t.http().get('/v1/auth/me').set(bearer(exchange.body.accessToken));
    expect(me.body.tenant.id).toBe(tenantA.id);
    expect(me.body.user.id).not.toBe(twin.user.id);
    expect(
      await selectRows(t, 'user_identities', 'user_id = :id', { id: twin.user.id }),
    ).toHaveLength(0);
    // And B's connection refuses A's domain: its IdP does not speak for it.
    const requestB = await startSamlLogin(t, connectionB.id);
    await expectRefused(
      connectionB,
      validResponse(connectionB, requestB, { nameId: twin.user.email }),
      'email_domain_not_allowed',
    );
  });

  it('expired assertion', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const past = new Date(Date.now() - 10 * 60_000);
    await expectRefused(
      connectionA,
      validResponse(connectionA, requestId, {
        issueInstant: new Date(Date.now() - 20 * 60_000),
        notBefore: new Date(Date.now() - 20 * 60_000),
        notOnOrAfter: past,
      }),
      'assertion_time',
    );
  });

  it('assertion older than the maximum age, even with a far NotOnOrAfter', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    await expectRefused(
      connectionA,
      validResponse(connectionA, requestId, {
        issueInstant: new Date(Date.now() - 30 * 60_000),
        notBefore: new Date(Date.now() - 30 * 60_000),
        notOnOrAfter: new Date(Date.now() + 60 * 60_000),
      }),
      'assertion_time',
    );
  });

  it('not-yet-valid assertion (beyond the clock skew)', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    await expectRefused(
      connectionA,
      validResponse(connectionA, requestId, { notBefore: new Date(Date.now() + 10 * 60_000) }),
      'assertion_time',
    );
  });

  it('wrong InResponseTo (a request we never sent)', async () => {
    await startSamlLogin(t, connectionA.id);
    await expectRefused(connectionA, validResponse(connectionA, samlId()), 'in_response_to');
  });

  it('missing InResponseTo (IdP-initiated login is off)', async () => {
    const xml = signAssertion(responseWith(connectionA, null, assertionFor(connectionA, null)), {
      keys,
    });
    await expectRefused(connectionA, xml, 'in_response_to_missing');
  });

  it('envelope InResponseTo swapped for a fresh request while the signed assertion answers an old one', async () => {
    const old = await startSamlLogin(t, connectionA.id);
    const fresh = await startSamlLogin(t, connectionA.id);
    const xml = signAssertion(responseWith(connectionA, fresh, assertionFor(connectionA, old)), {
      keys,
    });
    await expectRefused(connectionA, xml, /in_response_to|subject_confirmation/);
  });

  it('replayed response: the second post is refused', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = validResponse(connectionA, requestId);
    expect((await postAcs(t, connectionA.id, xml)).status).toBe(302);
    await expectRefused(connectionA, xml, /in_response_to|assertion_replayed|request_already_used/);
  });

  it('replayed assertion id under a fresh request (the replay cache, not only InResponseTo)', async () => {
    const assertionId = samlId();
    const first = await startSamlLogin(t, connectionA.id);
    expect(
      (await postAcs(t, connectionA.id, validResponse(connectionA, first, { id: assertionId })))
        .status,
    ).toBe(302);
    const second = await startSamlLogin(t, connectionA.id);
    await expectRefused(
      connectionA,
      validResponse(connectionA, second, { id: assertionId }),
      'assertion_replayed',
    );
  });

  it('concurrent posts of one response: exactly one signs in', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = validResponse(connectionA, requestId);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => postAcs(t, connectionA.id, xml)),
    );
    expect(results.map((res) => res.status).sort()).toEqual([302, 401, 401, 401, 401]);
  });

  it('wrong Issuer in a correctly signed assertion', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = signAssertion(
      buildResponse({
        idpEntityId: 'https://evil-idp.example',
        destination: connectionA.acsUrl,
        inResponseTo: requestId,
        body: assertionFor(connectionA, requestId, { issuer: 'https://evil-idp.example' }),
      }),
      { keys },
    );
    await expectRefused(connectionA, xml, 'issuer_mismatch');
    // The envelope's Issuer alone is not what counts: the signed assertion's is.
    const request2 = await startSamlLogin(t, connectionA.id);
    const innerOnly = signAssertion(
      responseWith(
        connectionA,
        request2,
        assertionFor(connectionA, request2, { issuer: 'https://evil-idp.example' }),
      ),
      { keys },
    );
    await expectRefused(connectionA, innerOnly, 'issuer_mismatch');
  });

  it('DOCTYPE with an entity (refused before parsing)', async () => {
    const requestId = await startSamlLogin(t, connectionA.id);
    const xml = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>${validResponse(connectionA, requestId)}`;
    await expectRefused(connectionA, xml, 'doctype');
    const lol = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>${validResponse(connectionA, requestId)}`;
    await expectRefused(connectionA, lol, 'doctype');
  });

  it('garbage: not base64, not XML, not a Response, an encrypted assertion — 401, never 500', async () => {
    await expectRefused(connectionA, { raw: '%%% not base64 %%%' }, 'malformed_response');
    await expectRefused(connectionA, { raw: encode('<not-closed') }, 'malformed_xml');
    await expectRefused(connectionA, { raw: encode('<x xmlns="urn:x"/>') }, 'malformed_response');
    await expectRefused(
      connectionA,
      { raw: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') },
      'malformed_response',
    );
    const requestId = await startSamlLogin(t, connectionA.id);
    await expectRefused(
      connectionA,
      responseWith(
        connectionA,
        requestId,
        '<saml:EncryptedAssertion><x/></saml:EncryptedAssertion>',
      ),
      'encrypted_assertion',
    );
  });

  it('a form without SAMLResponse is 400; a body over 100 kB is 413', async () => {
    const missing = await t
      .http()
      .post(`/v1/sso/saml/${connectionA.id}/acs`)
      .type('form')
      .send({ RelayState: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('validation_failed');
    const huge = await t
      .http()
      .post(`/v1/sso/saml/${connectionA.id}/acs`)
      .type('form')
      .send({ SAMLResponse: 'A'.repeat(150_000) });
    expect(huge.status).toBe(413);
  });
});
