import { missingKeyProblem, type ModeFacts } from './development-mode';

/** The part of the boot-time environment reader these settings need. */
interface EnvSource {
  readonly problems: string[];
  optional(name: string): string | null;
}

const MIN_LENGTH = 32;

/**
 * `KEY_ENCRYPTION_KEYS` (comma-separated, newest first) or the single-key form
 * `KEY_ENCRYPTION_KEY`: the newest seals, every listed one still opens what it sealed, so the
 * operator can add a key, rewrap, then drop the old one. Without either, the built-in key serves
 * local development and tests only (`missingKeyProblem`).
 */
export function readKeyEncryptionKeys(
  env: EnvSource,
  mode: ModeFacts,
  warnings: string[],
  insecureDevelopmentKey: string,
): string[] {
  const single = env.optional('KEY_ENCRYPTION_KEY');
  const list = env.optional('KEY_ENCRYPTION_KEYS');
  if (single !== null && list !== null) {
    env.problems.push('Set KEY_ENCRYPTION_KEYS or KEY_ENCRYPTION_KEY, not both');
    return [insecureDevelopmentKey];
  }
  const name = list !== null ? 'KEY_ENCRYPTION_KEYS' : 'KEY_ENCRYPTION_KEY';
  const keys = list !== null ? list.split(',').map((key) => key.trim()) : single ? [single] : [];
  if (keys.some((key) => key.length < MIN_LENGTH)) {
    env.problems.push(`${name}: every key must be at least ${MIN_LENGTH} characters`);
  }
  if (new Set(keys).size !== keys.length) env.problems.push(`${name} lists a key twice`);
  if (keys.length > 0) return keys;
  const problem = missingKeyProblem(mode);
  if (problem !== null) {
    env.problems.push(problem);
  } else if (mode.nodeEnv !== 'development') {
    // In development the mode line says it (`developmentModeLine`).
    warnings.push(
      'KEY_ENCRYPTION_KEY is not set: using an insecure development key. Secrets at rest are NOT protected.',
    );
  }
  return [insecureDevelopmentKey];
}
