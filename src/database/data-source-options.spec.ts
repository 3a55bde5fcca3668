import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from './data-source-options';

describe('dataSourceOptions on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-options-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the connection with the settings the schema and the memory budget rely on', async () => {
    const dataSource = new DataSource(
      dataSourceOptions({ kind: 'sqlite', url: null, path: join(dir, 'db.sqlite') }),
    );
    await dataSource.initialize();
    try {
      const pragma = async (name: string): Promise<unknown> => {
        const rows: Record<string, unknown>[] = await dataSource.query(`PRAGMA ${name}`);
        return Object.values(rows[0] ?? {})[0];
      };
      expect(await pragma('cache_size')).toBe(-2000);
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
      expect(await pragma('synchronous')).toBe(1);
      expect(await pragma('journal_mode')).toBe('wal');
    } finally {
      await dataSource.destroy();
    }
  });
});
