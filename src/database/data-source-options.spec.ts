import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from './data-source-options';

describe('dataSourceOptions on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-options-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens each connection with the settings the schema and the memory budget rely on', async () => {
    const options = dataSourceOptions({ kind: 'sqlite', url: null, path: join(dir, 'db.sqlite') });
    if (options.type !== 'better-sqlite3') throw new Error(`unexpected driver ${options.type}`);
    const db = new Database(join(dir, 'db.sqlite'));
    try {
      await options.prepareDatabase?.(db);
      expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });
});
