import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDataSource, undoMigrationsThrough } from '../support/database';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const MIGRATION = 'HashedOAuthArtifacts1764401700000';

/** More rows than one batch of the migration, so a rewritten row is met again and left alone. */
const REFRESH_TOKENS = 620;

describe('migration 1764401700000: OAuth artefacts under sha256(id)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await openTestDataSource());
  });
  afterAll(() => close?.());

  it('rewrites the rows stored before it to their hash, once, and leaves grant ids plain', async () => {
    await dataSource.runMigrations();
    await undoMigrationsThrough(dataSource, MIGRATION);
    const resume = 'http://127.0.0.1/oidc/auth/interaction-one';
    const rows: { model: string; id: string; uid?: string; payload: Record<string, unknown> }[] = [
      { model: 'Grant', id: 'grant-one', payload: { jti: 'grant-one', accountId: 'u1' } },
      {
        model: 'Session',
        id: 'session-cookie-one',
        uid: 'session-uid-one',
        payload: { jti: 'session-cookie-one', uid: 'session-uid-one', accountId: 'u1' },
      },
      {
        model: 'Interaction',
        id: 'interaction-one',
        payload: {
          jti: 'interaction-one',
          returnTo: resume,
          session: { uid: 'session-uid-one', cookie: 'session-cookie-one', accountId: 'u1' },
        },
      },
    ];
    for (let i = 0; i < REFRESH_TOKENS; i++) {
      // Upper case sorts before a hash's hex: rewritten rows come round again after the cursor.
      const id = `Refresh-${String(i).padStart(4, '0')}`;
      rows.push({ model: 'RefreshToken', id, payload: { jti: id, grantId: 'grant-one' } });
    }
    const p =
      dataSource.driver.options.type === 'postgres'
        ? ['$1', '$2', '$3', '$4']
        : ['?', '?', '?', '?'];
    for (const row of rows) {
      await dataSource.query(
        `INSERT INTO oauth_artifacts (model, id, uid, payload) VALUES (${p.join(', ')})`,
        [row.model, row.id, row.uid ?? null, JSON.stringify(row.payload)],
      );
    }
    await dataSource.runMigrations();

    const stored = await dataSource.query<
      { model: string; id: string; uid: string | null; payload: string }[]
    >('SELECT model, id, uid, payload FROM oauth_artifacts');
    expect(stored).toHaveLength(rows.length);
    const text = JSON.stringify(stored);
    for (const secret of [
      'session-cookie-one',
      'interaction-one',
      'Refresh-0000',
      'Refresh-0619',
    ]) {
      expect(text).not.toContain(secret);
    }
    const byId = new Map(stored.map((row) => [`${row.model} ${row.id}`, row]));
    for (const row of rows) {
      const key = `${row.model} ${row.model === 'Grant' ? row.id : sha256(row.id)}`;
      expect(byId.has(key), key).toBe(true);
    }
    expect(byId.get(`Session ${sha256('session-cookie-one')}`)?.uid).toBe(
      sha256('session-uid-one'),
    );
    const interaction = JSON.parse(
      byId.get(`Interaction ${sha256('interaction-one')}`)?.payload ?? '{}',
    ) as Record<string, unknown>;
    expect(interaction).toEqual({
      returnTo: 'http://127.0.0.1/oidc/auth/{id}',
      session: { uid: 'session-uid-one', accountId: 'u1' },
    });
    expect(JSON.parse(byId.get('Grant grant-one')?.payload ?? '{}')).toEqual(rows[0]?.payload);
  });
});
