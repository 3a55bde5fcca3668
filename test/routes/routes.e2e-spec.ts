import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app';
import {
  controllerRoutes,
  engineRoutes,
  expressRoutes,
  outsideControllers,
  renderRouteTable,
  type RouteRow,
} from './route-table';

const COMMITTED = join(__dirname, '..', '..', 'docs', 'routes.md');

/** The lines only one side has, to say in the failure what changed. */
function difference(committed: string, current: string): string {
  const before = committed.split('\n');
  const after = current.split('\n');
  return [
    ...before.filter((line) => !after.includes(line)).map((line) => `- ${line}`),
    ...after.filter((line) => !before.includes(line)).map((line) => `+ ${line}`),
  ].join('\n');
}

describe('the route table (docs/routes.md)', () => {
  let t: TestApp;
  let api: RouteRow[];

  beforeAll(async () => {
    t = await createTestApp();
    api = controllerRoutes(t);
  });
  afterAll(() => t.close());

  it("reads every controller route's method and path as Express serves it", () => {
    const served = new Set(expressRoutes(t));
    const unknown = api.map((row) => `${row.method} ${row.path}`).filter((r) => !served.has(r));
    expect(unknown).toEqual([]);
    expect(api.length).toBeGreaterThan(50);
  });

  it('is committed as the app serves it (`npm run routes` writes it)', async () => {
    const current = renderRouteTable(api, outsideControllers(t, api), await engineRoutes(t));
    // `npm run routes` sets this to write the file instead of checking it.
    if (process.env.WRITE_ROUTES === '1') await writeFile(COMMITTED, current);
    const committed = await readFile(COMMITTED, 'utf8').catch(() => '');
    if (committed !== current) {
      expect.fail(
        `docs/routes.md differs from the routes the app serves: run \`npm run routes\` and ` +
          `commit docs/routes.md.\n${difference(committed, current)}`,
      );
    }
  });
});
