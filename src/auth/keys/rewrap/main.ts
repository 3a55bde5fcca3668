import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../../common/crypto/secret-box';
import { loadConfig } from '../../../config/load-config';
import { dataSourceOptions } from '../../../database/data-source-options';
import { type RewrapCounts, rewrapSecrets } from './rewrap-secrets';

/**
 * `npm run keys:rewrap`: seals every secret at rest with the newest of `KEY_ENCRYPTION_KEYS`.
 * Prints counts per column, never a value.
 */
export async function runRewrap(
  env: Readonly<Record<string, string | undefined>>,
  print: (line: string) => void,
): Promise<RewrapCounts> {
  const config = loadConfig(env);
  const box = new SecretBox(config);
  const dataSource = new DataSource(dataSourceOptions(config.database));
  await dataSource.initialize();
  try {
    print(
      `Sealing with key-encryption key ${box.keyIds[0] ?? ''} (configured: ${box.keyIds.join(', ')})`,
    );
    const counts = await rewrapSecrets(dataSource, box);
    for (const [column, { total, rewrapped }] of Object.entries(counts)) {
      print(`${column}: ${rewrapped} rewrapped, ${total - rewrapped} already current`);
    }
    if (Object.keys(counts).length === 0) print('No sealed values.');
    return counts;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  runRewrap(process.env, (line) => process.stdout.write(`${line}\n`)).catch((error: unknown) => {
    // The message names the column and row, never the value; nothing was changed.
    process.stderr.write(`keys:rewrap failed, nothing changed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
