import { ArrayUnique, MinLength } from 'class-validator';
import { missingKeyProblem, type ModeFacts } from '../development-mode';
import { EnvInt, EnvList, EnvString } from '../env-decorators';

const MIN_LENGTH = 32;

/** The built-in key of local development and tests (`missingKeyProblem` says where it may serve). */
export const INSECURE_DEV_KEY_MATERIAL =
  'gatehouse-insecure-development-key-do-not-use-in-production';

/** What seals secrets at rest, and how often the token signing key rotates. */
export class KeyVariables {
  /** The single-key form of KEY_ENCRYPTION_KEYS. */
  @EnvString()
  @MinLength(MIN_LENGTH, { message: `must be at least ${MIN_LENGTH} characters` })
  KEY_ENCRYPTION_KEY?: string;

  /** Newest first: the newest seals, every listed one still opens what it sealed. */
  @EnvList()
  @ArrayUnique({ message: 'lists a key twice' })
  @MinLength(MIN_LENGTH, {
    each: true,
    message: `must list keys of at least ${MIN_LENGTH} characters each`,
  })
  KEY_ENCRYPTION_KEYS?: string[];

  /** 0 turns scheduled rotation off (an operator who rotates through the API only). */
  @EnvInt(0, 3650)
  SIGNING_KEY_ROTATION_DAYS = 90;
}

/**
 * The key-encryption keys, newest first, so that an operator can add a key, rewrap, then drop
 * the old one. Without any, the built-in key serves local development and tests only.
 */
export function toKeyEncryptionKeys(
  vars: KeyVariables,
  mode: ModeFacts,
  problems: string[],
  warnings: string[],
): string[] {
  const { KEY_ENCRYPTION_KEY: single, KEY_ENCRYPTION_KEYS: list } = vars;
  if (single !== undefined && list !== undefined) {
    problems.push('Set KEY_ENCRYPTION_KEYS or KEY_ENCRYPTION_KEY, not both');
    return [INSECURE_DEV_KEY_MATERIAL];
  }
  const keys = list ?? (single !== undefined ? [single] : []);
  if (keys.length > 0) return keys;
  const problem = missingKeyProblem(mode);
  if (problem !== null) {
    problems.push(problem);
  } else if (mode.nodeEnv !== 'development') {
    // In development the mode line says it (`developmentModeLine`).
    warnings.push(
      'KEY_ENCRYPTION_KEY is not set: using an insecure development key. Secrets at rest are NOT protected.',
    );
  }
  return [INSECURE_DEV_KEY_MATERIAL];
}
