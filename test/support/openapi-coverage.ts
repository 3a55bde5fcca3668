import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { documentedPairs, PAIRS_DIR } from './openapi-validation';

/**
 * Vitest global setup of the e2e project: starts each run with no pairs, and at the end says how
 * many documented (operation, status) pairs the run's answers exercised.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await rm(PAIRS_DIR, { recursive: true, force: true });
  return async () => {
    const files = await readdir(PAIRS_DIR).catch(() => [] as string[]);
    const seen = new Set<string>();
    for (const file of files.filter((name) => name.endsWith('.txt'))) {
      for (const pair of (await readFile(join(PAIRS_DIR, file), 'utf8')).split('\n')) {
        if (pair) seen.add(pair);
      }
    }
    if (seen.size === 0) return;
    const documented = documentedPairs();
    const missing = documented.filter((pair) => !seen.has(pair));
    const report = join(PAIRS_DIR, 'not-exercised.txt');
    await writeFile(report, `${missing.join('\n')}\n`);
    process.stdout.write(
      `\nOpenAPI: answers validated for ${documented.length - missing.length} of ` +
        `${documented.length} documented (operation, status) pairs; the others are in ${report}\n`,
    );
  };
}
