import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AppProcess, startAppProcess } from './support/app-process';
import { type PrivatePostgres, startPrivatePostgres } from './support/private-postgres';

const STRONG_PASSWORD = 'a long and unusual passphrase';

interface Outcome {
  at: number;
  done: number;
  status: number;
  code?: string;
  contentType: string;
}

/**
 * PostgreSQL restarted under load: requests during the outage fail with 503 problem+json, the
 * process survives, service recovers within 5 s of the database's return without a restart, and
 * no acknowledged write is lost.
 */
describe('database restart under load', () => {
  let postgres: PrivatePostgres;
  let app: AppProcess;
  let tenant: string;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    app = await startAppProcess({ DATABASE_URL: postgres.url, RATE_LIMITS: 'off' });
    const login = await fetch(`${app.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tenant: 'root',
        email: 'admin@gatehouse.test',
        password: 'platform admin passphrase',
      }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    tenant = `restart-${Date.now().toString(36)}`;
    const created = await fetch(`${app.url}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({
        slug: tenant,
        name: 'Restart',
        owner: { email: `owner@${tenant}.test`, password: STRONG_PASSWORD },
      }),
    });
    expect(created.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await postgres?.destroy();
  });

  it('fails with 503 during the outage, recovers within 5 s of the return, loses no acknowledged write', async () => {
    const outcomes: Outcome[] = [];
    const acknowledged: string[] = [];
    let running = true;
    let counter = 0;

    const worker = async () => {
      while (running) {
        const email = `user${counter++}@${tenant}.test`;
        const started = Date.now();
        try {
          const res = await fetch(`${app.url}/v1/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ tenant, email, password: STRONG_PASSWORD }),
            signal: AbortSignal.timeout(15_000),
          });
          const body = (await res.json().catch(() => ({}))) as { code?: string };
          outcomes.push({
            at: started,
            done: Date.now(),
            status: res.status,
            code: body.code,
            contentType: res.headers.get('content-type') ?? '',
          });
          if (res.status === 201) acknowledged.push(email);
        } catch {
          outcomes.push({ at: started, done: Date.now(), status: 0, contentType: '' });
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const down = Date.now();
    await postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await postgres.start();
    const back = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 7000));
    running = false;
    await Promise.all(workers);

    expect(app.alive(), app.output()).toBe(true);
    // Before the outage it worked.
    expect(outcomes.some((o) => o.at < down && o.status === 201)).toBe(true);
    // During it: 503 problem+json, never another 5xx, never a dropped connection.
    const failures = outcomes.filter((o) => o.status !== 201);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      const errors = app
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":"error"'));
      expect(
        failure.status,
        `${JSON.stringify(failure)}\n${errors.join('\n').slice(0, 4000)}`,
      ).toBe(503);
      expect(failure.code).toBe('service_unavailable');
      expect(failure.contentType).toContain('application/problem+json');
    }
    // After it: a write succeeds within 5 s of the database's return.
    const recovered = outcomes.filter((o) => o.status === 201 && o.done >= back).map((o) => o.done);
    expect(recovered.length, 'service recovered').toBeGreaterThan(0);
    expect(Math.min(...recovered) - back).toBeLessThanOrEqual(5000);
    // Health is ready again without a restart.
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);

    // Every acknowledged registration is in the database, with its audit event.
    const client = new Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ email: string }>(
        'SELECT email FROM users WHERE email LIKE $1',
        [`%@${tenant}.test`],
      );
      const stored = new Set(rows.map((row) => row.email));
      const lost = acknowledged.filter((email) => !stored.has(email));
      expect(lost).toEqual([]);

      // And so is its audit event: batches that failed during the outage were written on retry.
      // The last ones may still sit in the buffer for one flush interval.
      await vi.waitFor(
        async () => {
          const audited = await client.query<{ email: string }>(
            `SELECT u.email FROM users u
               JOIN audit_events a ON a.target_id = u.id::text AND a.action = 'auth.register'
              WHERE u.email LIKE $1`,
            [`%@${tenant}.test`],
          );
          const withEvent = new Set(audited.rows.map((row) => row.email));
          expect(acknowledged.filter((email) => !withEvent.has(email))).toEqual([]);
        },
        { timeout: 5000, interval: 200 },
      );
    } finally {
      await client.end();
    }
  }, 60_000);
});
