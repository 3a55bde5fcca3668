import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/common/errors/error-code';
import { createTestApp, type TestApp } from '../support/app';
import { createIdpKeys, removeIdpKeys } from '../sso/support/saml-idp';
import { APP_CALLBACK, SSO_ENV } from '../sso/support/sso-fixtures';
import { TestDns } from '../sso/support/test-dns';
import { buildFuzzWorld, type FuzzWorld, missingId } from './support/fuzz-world';
import {
  bodyVariants,
  MALFORMED_IDS,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  plausibleValue,
  Prng,
  queryVariants,
  resolve,
  UNIQUE,
  uniqueIn,
} from './support/openapi-fuzz';

/**
 * A fuzzer driven by the served OpenAPI document: every documented operation, against real
 * objects and with a token allowed to call it (and one that is not), gets bodies derived from
 * its request schema with each field in turn made hostile, bad ids in its path and bad values
 * in its query. No answer may be a 5xx, every error is problem+json with a documented code, and
 * the service is live and ready afterwards. `FUZZ_SEED=<n>` replays a run.
 */

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
/** PostgreSQL runs are slower per request: the same operations, fewer variants of each. */
const ON_POSTGRES = Boolean(process.env.DATABASE_URL?.trim());
const BODY_VARIANTS_PER_OPERATION = ON_POSTGRES ? 24 : 90;
const QUERY_VARIANTS_PER_OPERATION = ON_POSTGRES ? 8 : 40;

interface Sent {
  operation: string;
  label: string;
  status: number;
}

type Headers = Record<string, string>;

/** A line in the run's output: the seed, to replay a failure, and what the run covered. */
function report(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Non-destructive operations first; deletions last, the platform's tenant deletion at the end. */
function runOrder(operation: Operation): number {
  if (operation.method !== 'DELETE') return 0;
  return operation.path.startsWith('/v1/tenants') ? 2 : 1;
}

/**
 * Bodies that succeed where the one derived from the schema cannot (it sends both `saml` and
 * `oidc`, say): hostile variants of a body that would pass reach deeper code. Every field of the
 * schema is still varied, added where these leave it out.
 */
function knownGoodBodies(world: FuzzWorld): Record<string, object> {
  const saml = {
    idpEntityId: 'https://idp.fuzz.example',
    ssoUrl: 'https://idp.fuzz.example/sso',
    certificate: world.certificate,
  };
  return {
    'POST /v1/sso/connections': {
      type: 'saml',
      name: 'Fuzzed IdP',
      domains: [`${UNIQUE}.example.com`],
      jitProvisioning: true,
      defaultRoleIds: [world.home.roleId],
      attributeMapping: {
        email: 'mail',
        groupRoles: [{ group: 'g', roleIds: [world.home.roleId] }],
      },
      saml,
    },
    'PATCH /v1/sso/connections/{id}': {
      name: 'Fuzzed IdP',
      jitProvisioning: false,
      attributeMapping: { name: 'displayName' },
      saml: { ssoUrl: saml.ssoUrl },
    },
    'PATCH /v1/tenants/current': {
      name: 'Fuzzed tenant',
      settings: { requireEmailVerification: false, redirectAllowlist: [APP_CALLBACK] },
    },
  };
}

describe('fuzz: every operation of the OpenAPI document', () => {
  let t: TestApp;
  let dns: TestDns;
  let world: FuzzWorld;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ listen: true, env: { ...SSO_ENV, ...dns.env } });
    world = await buildFuzzWorld(t, createIdpKeys().certificate, dns);
    doc = (await t.http().get('/docs-json')).body as OpenApiDocument;
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  /** The value of a path parameter: the real object, another tenant's, a missing one. */
  function pathIds(operation: Operation, name: string): { valid: string; foreign: string } {
    const { home, foreign } = world;
    const path = operation.path;
    const pairs: [RegExp, string, string][] = [
      [/^\/v1\/users\//, home.targetUserId, foreign.targetUserId],
      [/^\/v1\/roles\//, home.roleId, foreign.roleId],
      [/^\/v1\/projects\//, home.projectId, foreign.projectId],
      [/^\/v1\/api-keys\//, home.apiKeyId, foreign.apiKeyId],
      [/^\/v1\/oauth\/clients\//, home.oauthClientId, foreign.oauthClientId],
      [/^\/v1\/sso\//, home.ssoConnectionId, foreign.ssoConnectionId],
      [/^\/v1\/tenants\//, world.spareTenantId, missingId()],
      [/^\/v1\/auth\/sessions\//, world.memberSessionId, world.ownerSessionId],
      [/^\/v1\/auth\/social\//, 'google', 'github'],
    ];
    for (const [pattern, valid, other] of pairs) {
      if (pattern.test(path)) return { valid, foreign: other };
    }
    // Identities, grants and signing keys: never a real one (a real kid would revoke the key
    // that signs every token of the run).
    return { valid: name === 'kid' ? 'fuzz-kid' : missingId(), foreign: missingId() };
  }

  function fill(operation: Operation, values: Record<string, string>): string {
    return operation.path.replace(/\{(\w+)\}/g, (_all, name: string) => values[name]);
  }

  it(
    'never answers 5xx, answers errors as problem+json with a documented code, and stays ready',
    { timeout: 240_000 },
    async () => {
      report(`openapi fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);
      const prng = new Prng(SEED);
      const problem = resolve(doc, doc.components.schemas.ProblemResponseDto);
      const codes = resolve(doc, problem.properties?.code).enum as string[];
      // The document's list is the enum the code has: a new code cannot go undocumented.
      expect([...codes].sort()).toEqual(Object.values(ErrorCode).sort());

      const operations = operationsOf(doc).sort((a, b) => runOrder(a) - runOrder(b));
      const failures: string[] = [];
      const undocumented = new Set<string>();
      const sent: Sent[] = [];
      const base = t.baseUrl as string;

      const send = async (
        operation: Operation,
        label: string,
        path: string,
        options: { headers?: Headers; body?: string } = {},
      ): Promise<void> => {
        let req = request(base)
          [operation.method.toLowerCase() as 'get'](path)
          .timeout(20_000)
          .redirects(0);
        for (const [name, value] of Object.entries(options.headers ?? {}))
          req = req.set(name, value);
        if (options.body !== undefined)
          req = req.set('Content-Type', 'application/json').send(uniqueIn(options.body));
        const res = await req.ok(() => true);
        sent.push({ operation: operation.key, label, status: res.status });
        const where = `${operation.key} [${label}] ${path.slice(0, 100)}`;
        if (res.status >= 500) {
          failures.push(`${res.status} ${where}: ${res.text.slice(0, 200)}`);
          return;
        }
        if (res.status >= 400) {
          const type = String(res.headers['content-type'] ?? '');
          const code = (res.body as { code?: unknown }).code;
          if (!type.startsWith('application/problem+json')) {
            failures.push(`${res.status} not problem+json (${type}) ${where}`);
          } else if (typeof code !== 'string' || !codes.includes(code)) {
            failures.push(`${res.status} undocumented code ${String(code)} ${where}`);
          }
        }
        if (!operation.documentedStatuses.includes(String(res.status))) {
          undocumented.add(`${operation.key} ${res.status}`);
        }
      };

      const hints = {
        uuid: () => world.home.roleId,
        url: () => 'https://app.example.com/cb',
      };

      for (const operation of operations) {
        const tokens = await world.tokens();
        const selfService = /^\/v1\/auth\//.test(operation.path);
        const platformRoute =
          /^\/v1\/platform\//.test(operation.path) ||
          (/^\/v1\/tenants/.test(operation.path) && !operation.path.includes('/current'));
        const allowed: Headers = !operation.authenticated
          ? {}
          : platformRoute
            ? tokens.platform.headers
            : selfService
              ? tokens.member.headers
              : tokens.owner.headers;
        // Scoped principals (API keys) may not use self-service; members may not manage.
        const denied: Headers = selfService
          ? world.apiKeyHeaders
          : platformRoute
            ? tokens.owner.headers
            : tokens.member.headers;

        const names = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        const ids = Object.fromEntries(names.map((name) => [name, pathIds(operation, name)]));
        const validPath = fill(operation, Object.fromEntries(names.map((n) => [n, ids[n].valid])));
        const known = knownGoodBodies(world)[operation.key];
        const plausible = operation.body
          ? JSON.stringify(known ?? plausibleValue(doc, operation.body, hints))
          : undefined;
        const tasks: (() => Promise<void>)[] = [];

        // Paths: each parameter malformed, another tenant's, missing; the others valid.
        for (const name of names) {
          const others = Object.fromEntries(names.map((n) => [n, ids[n].valid]));
          for (const value of [ids[name].foreign, missingId(), ...MALFORMED_IDS]) {
            const path = fill(operation, { ...others, [name]: value });
            tasks.push(() =>
              send(operation, `path ${name}=${value.slice(0, 16)}`, path, {
                headers: allowed,
                body: plausible,
              }),
            );
          }
        }
        // Who may not call it, and nobody.
        if (operation.authenticated) {
          tasks.push(() =>
            send(operation, 'denied caller', validPath, { headers: denied, body: plausible }),
          );
          tasks.push(() => send(operation, 'anonymous', validPath, { body: plausible }));
        }
        // Bodies: each field in turn null, the wrong type, empty, oversized, …
        if (operation.body) {
          const variants = bodyVariants(doc, operation.body, JSON.parse(plausible as string), prng);
          const always = variants.filter((variant) => variant.always);
          const sampled = prng.sample(
            variants.filter((variant) => !variant.always),
            Math.max(0, BODY_VARIANTS_PER_OPERATION - always.length),
          );
          for (const variant of [...always, ...sampled]) {
            tasks.push(() =>
              send(operation, `body ${variant.label}`, validPath, {
                headers: allowed,
                body: variant.raw,
              }),
            );
          }
        }
        for (const variant of prng.sample(
          queryVariants(operation.parameters, prng),
          QUERY_VARIANTS_PER_OPERATION,
        )) {
          tasks.push(() =>
            send(operation, `query ${variant.label}`, `${validPath}?${variant.query}`, {
              headers: allowed,
            }),
          );
        }
        // The call as a client would make it, last: a deletion then really deletes.
        tasks.push(() =>
          send(operation, 'plausible call', validPath, { headers: allowed, body: plausible }),
        );
        // In order: a replay of the seed sends the same requests in the same order.
        for (const task of tasks) await task();
      }

      const covered = new Set(sent.map((entry) => entry.operation));
      const reachedHandler = new Set(
        sent.filter((entry) => ![401, 403].includes(entry.status)).map((entry) => entry.operation),
      );
      report(
        `openapi fuzz: ${covered.size}/${operations.length} documented operations covered ` +
          `(${reachedHandler.size} past authorization), ${sent.length} requests, seed ${SEED}`,
      );
      expect(failures, `seed ${SEED}`).toEqual([]);
      // SPEC §14: the document lists every status an operation answers.
      expect([...undocumented], 'statuses answered but not documented').toEqual([]);
      expect(covered.size).toBe(operations.length);
      expect(operations.length).toBeGreaterThan(50);

      for (const probe of ['/health/live', '/health/ready']) {
        const res = await request(base).get(probe);
        expect(res.status, `${probe} ${JSON.stringify(res.body)}`).toBe(200);
      }
    },
  );
});
