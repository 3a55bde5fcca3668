import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLOSED_PORT } from '../support/ports';
import {
  buildAssertion,
  buildResponse,
  createIdpKeys,
  type IdpKeys,
  removeIdpKeys,
  samlId,
  signAssertion,
} from './support/saml-idp';
import { createConnection } from './support/connections';
import { TestDns } from './support/test-dns';
import {
  codeOf,
  postAcs,
  SSO_ENV,
  startSamlLogin,
  uniqueDomain,
  userWithRole,
} from './support/sso-fixtures';

const IDP = 'https://idp.multi.example/saml';

interface Connection {
  id: string;
  spEntityId: string;
  acsUrl: string;
}

/** One database for several app instances: PostgreSQL when configured, else a SQLite file. */
async function sharedDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL?.trim()) return createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'gh-sso-shared-'));
  return {
    env: { DATABASE_PATH: join(dir, 'shared.sqlite') },
    drop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function samlConnection(
  t: TestApp,
  keys: IdpKeys,
  dns: TestDns,
): Promise<{ connection: Connection; domain: string }> {
  const tenant = await createTenant(t);
  const owner = await userWithRole(t, tenant, 'owner');
  const domain = uniqueDomain('multi');
  const connection = await createConnection(
    t,
    owner,
    {
      type: 'saml',
      name: 'Multi',
      domains: [domain],
      jitProvisioning: true,
      saml: {
        idpEntityId: IDP,
        ssoUrl: 'https://idp.multi.example/sso',
        certificate: keys.certificate,
      },
    },
    dns,
  );
  return { connection, domain };
}

function signedResponse(
  keys: IdpKeys,
  connection: Connection,
  requestId: string,
  nameId: string,
  id = samlId(),
) {
  return signAssertion(
    buildResponse({
      idpEntityId: IDP,
      destination: connection.acsUrl,
      inResponseTo: requestId,
      body: buildAssertion({
        id,
        idpEntityId: IDP,
        audience: connection.spEntityId,
        recipient: connection.acsUrl,
        inResponseTo: requestId,
        nameId,
      }),
    }),
    { keys },
  );
}

describe('SAML state shared by several instances', () => {
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let keys: IdpKeys;
  let connection: Connection;
  let domain: string;
  let dns: TestDns;

  beforeAll(async () => {
    keys = createIdpKeys();
    database = await sharedDatabase();
    dns = await TestDns.start();
    // Like instances behind one load balancer: one database, and one Redis key space if any.
    const env = {
      ...SSO_ENV,
      ...dns.env,
      REDIS_KEY_PREFIX: `gh-test-${randomBytes(6).toString('hex')}:`,
    };
    one = await createTestApp({ env, database });
    two = await createTestApp({ env, database });
    ({ connection, domain } = await samlConnection(one, keys, dns));
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await database.drop();
    await dns.close();
    removeIdpKeys();
  });

  it('a login started on one instance completes on the other, and its code is redeemed on the first', async () => {
    const requestId = await startSamlLogin(one, connection.id);
    const res = await postAcs(
      two,
      connection.id,
      signedResponse(keys, connection, requestId, `a@${domain}`),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(302);
    const exchange = await one
      .http()
      .post('/v1/auth/exchange')
      .send({ code: codeOf(res.headers.location) });
    expect(exchange.status).toBe(200);
  });

  it('a response consumed on one instance is refused on the other; so is its assertion id under a new request', async () => {
    const assertionId = samlId();
    const requestId = await startSamlLogin(one, connection.id);
    const xml = signedResponse(keys, connection, requestId, `b@${domain}`, assertionId);
    expect((await postAcs(one, connection.id, xml)).status).toBe(302);
    const replay = await postAcs(two, connection.id, xml);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('sso_failed');
    const fresh = await startSamlLogin(two, connection.id);
    const reused = await postAcs(
      two,
      connection.id,
      signedResponse(keys, connection, fresh, `b@${domain}`, assertionId),
    );
    expect(reused.status).toBe(401);
  });
});

describe('SAML with Redis configured but unreachable', () => {
  let t: TestApp;
  let keys: IdpKeys;
  let dns: TestDns;

  beforeAll(async () => {
    keys = createIdpKeys();
    dns = await TestDns.start();
    t = await createTestApp({
      env: { ...SSO_ENV, ...dns.env, REDIS_URL: `redis://127.0.0.1:${CLOSED_PORT}` },
    });
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  it('falls back to the database: logins work, replays are still refused', async () => {
    const { connection, domain } = await samlConnection(t, keys, dns);
    const requestId = await startSamlLogin(t, connection.id);
    const xml = signedResponse(keys, connection, requestId, `c@${domain}`);
    expect((await postAcs(t, connection.id, xml)).status).toBe(302);
    expect((await postAcs(t, connection.id, xml)).status).toBe(401);
  });
});
