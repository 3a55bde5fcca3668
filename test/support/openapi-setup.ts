import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { exercisedPairs, PAIRS_DIR, takeOpenApiViolations } from './openapi-validation';

/**
 * Fails the test that received an answer the OpenAPI document does not describe (answers to a
 * `beforeAll` fail the file's first test, or the file itself).
 */
function failOnViolations(): void {
  const violations = takeOpenApiViolations();
  if (violations.length > 0) {
    throw new Error(
      `Answers the OpenAPI document does not describe (fix the document or the answer, then ` +
        `\`npm run openapi\`):\n${violations.join('\n')}`,
    );
  }
}

afterEach(failOnViolations);

afterAll(async () => {
  if (exercisedPairs.size > 0) {
    await mkdir(PAIRS_DIR, { recursive: true });
    const file = join(PAIRS_DIR, `${process.pid}-${randomBytes(4).toString('hex')}.txt`);
    await writeFile(file, [...exercisedPairs].join('\n'));
  }
  failOnViolations();
});
