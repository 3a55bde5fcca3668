import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

let commonPasswords: ReadonlySet<string> | null = null;

function loadCommonPasswords(): ReadonlySet<string> {
  if (!commonPasswords) {
    const lines = readFileSync(join(__dirname, 'common-passwords.txt'), 'utf8').split('\n');
    commonPasswords = new Set(lines.filter((line) => line !== '' && !line.startsWith('#')));
  }
  return commonPasswords;
}

/**
 * NIST SP 800-63B: length is what counts (8 to 128 characters, counted as Unicode code points),
 * no composition rules, and no password that is known to be common or that is the account's
 * own email. Returns the reason a password is refused, or null.
 */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lowered = password.toLowerCase();
  if (loadCommonPasswords().has(lowered)) return 'is too common; choose another';
  if (email) {
    const address = email.toLowerCase();
    if (lowered === address || lowered === address.split('@')[0])
      return 'must not be your email address';
  }
  return null;
}
