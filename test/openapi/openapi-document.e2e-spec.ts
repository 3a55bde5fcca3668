import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app';

const COMMITTED = join(__dirname, '..', '..', 'openapi.json');

describe('the OpenAPI document (openapi.json)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is committed as the app serves it (`npm run openapi` writes it)', async () => {
    const served = (await t.http().get('/docs-json').expect(200)).body as unknown;
    const current = `${JSON.stringify(served, null, 2)}\n`;
    // `npm run openapi` sets this to write the file instead of checking it.
    if (process.env.WRITE_OPENAPI === '1') await writeFile(COMMITTED, current);
    const committed = await readFile(COMMITTED, 'utf8').catch(() => '');
    if (committed !== current) {
      expect.fail(
        'openapi.json differs from the document the app serves at /docs-json: run ' +
          '`npm run openapi` and commit openapi.json.',
      );
    }
  });
});
