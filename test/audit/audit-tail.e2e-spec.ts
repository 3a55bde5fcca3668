import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import type { TestDatabase } from '../support/database';
import { createSharedDatabase } from '../support/shared-database';
import { auditEvents, tenantWithAdmin, type TenantAdmin } from './helpers';

const WRITES = 160;
const PARALLEL = 8;

/**
 * A log shipper tails `GET /v1/audit-events?order=asc&after=` while two instances behind one
 * database record events at once. Each instance buffers its events and writes them in batches,
 * so an event stamped earlier on one instance often becomes visible after later ones from the
 * other: a tail by time would skip it. The tail follows the log's positions instead.
 */
describe('tailing the audit log while events arrive', () => {
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let acme: TenantAdmin;

  beforeAll(async () => {
    database = await createSharedDatabase();
    const env = { REDIS_KEY_PREFIX: `gh-test-${randomBytes(6).toString('hex')}:` };
    one = await createTestApp({ env, database });
    two = await createTestApp({ env, database });
    acme = await tenantWithAdmin(one);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
  });

  it('reads every event exactly once, in the order of the log, through either instance', async () => {
    const headers = bearer(acme.admin.accessToken);
    let writing = true;
    let pollsWithEvents = 0;

    const createProject = async (app: TestApp, name: string) => {
      const res = await app
        .http()
        .post('/v1/projects')
        .set(headers)
        .send({ name, description: '' });
      expect(res.status).toBe(201);
    };
    const seen: string[] = [];
    let after: string | null = null;
    const poll = async (app: TestApp): Promise<number> => {
      const res = await app
        .http()
        .get('/v1/audit-events')
        .query({ order: 'asc', limit: '100', ...(after ? { after } : {}) })
        .set(headers);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const ids = (res.body.items as { id: string }[]).map((item) => item.id);
      seen.push(...ids);
      // A page with events always carries the cursor to poll with next; an empty one none.
      expect(res.body.nextCursor === null).toBe(ids.length === 0);
      after = (res.body.nextCursor as string | null) ?? after;
      return ids.length;
    };

    // Staggered first: an event recorded on `two` waits in its buffer while a later one from
    // `one` is written and read.
    for (let round = 0; round < 10; round++) {
      await createProject(two, `early ${round}`);
      await createProject(one, `late ${round}`);
      await one.flushAudit();
      await poll(one);
    }

    // Then many requests that each record events, spread over both instances, while polling.
    const writer = (async () => {
      for (let next = 0; next < WRITES; next += PARALLEL) {
        await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) =>
            createProject((next + i) % 2 === 0 ? one : two, `p${next + i}`),
          ),
        );
      }
    })().finally(() => {
      writing = false;
    });
    for (let round = 0; writing; round++) {
      if ((await poll(round % 2 === 0 ? one : two)) > 0 && writing) pollsWithEvents++;
      await sleep(3);
    }
    await writer;
    await Promise.all([one.flushAudit(), two.flushAudit()]);
    while ((await poll(one)) > 0);

    // The tail read events while they were being written, not only at the end.
    expect(pollsWithEvents).toBeGreaterThan(5);
    const all = (await auditEvents(one, acme.admin.accessToken)).map((event) => event.id).reverse();
    expect(all.length).toBeGreaterThanOrEqual(WRITES);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all);
  });
});
