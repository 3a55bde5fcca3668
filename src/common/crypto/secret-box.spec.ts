import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load-config';
import { SecretBox, SecretBoxKeyError } from './secret-box';

const A = 'key-encryption-key-a-0123456789abcdefghij';
const B = 'key-encryption-key-b-0123456789abcdefghij';

const box = (keys: string) => new SecretBox(loadConfig({ KEY_ENCRYPTION_KEYS: keys }));

/** A value as the single-key SecretBox of before sealed it (`v1`, no key id). */
function legacySeal(material: string, plaintext: string, context: string): string {
  const key = Buffer.from(
    hkdfSync('sha256', material, 'gatehouse.secret-box', 'aes-256-gcm key v1', 32),
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

describe('SecretBox with several key-encryption keys', () => {
  it('seals with the newest and names it by an id derived from the key, not its position', () => {
    const sealed = box(`${B},${A}`).seal('secret', 'ctx');
    expect(sealed.split('.')[1]).toBe(box(B).keyIds[0]);
    expect(box(`${A},${B}`).open(sealed, 'ctx')).toBe('secret');
    expect(box(B).open(sealed, 'ctx')).toBe('secret');
  });

  it('opens v1 values with whichever configured key sealed them, and reseals them with the newest', () => {
    const legacy = legacySeal(A, 'totp', 'ctx');
    const both = box(`${B},${A}`);
    expect(both.open(legacy, 'ctx')).toBe('totp');
    expect(both.isCurrent(legacy)).toBe(false);
    const resealed = both.reseal(legacy, 'ctx') ?? '';
    expect(both.isCurrent(resealed)).toBe(true);
    expect(both.reseal(resealed, 'ctx')).toBeNull();
    expect(box(B).open(resealed, 'ctx')).toBe('totp');
  });

  it('refuses loudly what no configured key sealed, a wrong context and a tampered value', () => {
    const sealed = box(A).seal('secret', 'ctx');
    expect(() => box(B).open(sealed, 'ctx')).toThrow(SecretBoxKeyError);
    expect(() => box(B).open(legacySeal(A, 'x', 'ctx'), 'ctx')).toThrow(SecretBoxKeyError);
    expect(() => box(A).open(sealed, 'other')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box(A).open(parts.join('.'), 'ctx')).toThrow();
  });

  it('holds every listed key to the rules of KEY_ENCRYPTION_KEY', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return error instanceof ConfigError ? [...error.problems] : [String(error)];
      }
    };
    expect(problems({ KEY_ENCRYPTION_KEYS: `${A},short` }).join()).toMatch(/at least 32/);
    expect(problems({ KEY_ENCRYPTION_KEYS: `${A},${A}` }).join()).toMatch(/twice/);
    expect(problems({ KEY_ENCRYPTION_KEYS: A, KEY_ENCRYPTION_KEY: B }).join()).toMatch(/not both/);
    expect(problems({ NODE_ENV: 'production', KEY_ENCRYPTION_KEYS: A }).join()).not.toMatch(
      /KEY_ENCRYPTION/,
    );
    expect(problems({ NODE_ENV: 'production' }).join()).toMatch(/KEY_ENCRYPTION_KEY is required/);
    expect(loadConfig({ KEY_ENCRYPTION_KEYS: ` ${B} , ${A} ` }).security.keyEncryptionKeys).toEqual(
      [B, A],
    );
  });
});
