import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

/** `v1.<iv>.<ciphertext>.<tag>`: one key, before several were possible; still opened. */
const LEGACY_VERSION = 'v1';
/** `v2.<key id>.<iv>.<ciphertext>.<tag>`: names the key that sealed it. */
const VERSION = 'v2';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT = Buffer.from('gatehouse.secret-box', 'utf8');

interface Kek {
  /** Derived from the key (not its position in the list), so reordering the list is harmless. */
  readonly id: string;
  readonly key: Buffer;
}

/** A sealed value that none of the configured key-encryption keys opens. */
export class SecretBoxKeyError extends Error {
  override name = 'SecretBoxKeyError';
}

/**
 * Encrypts secrets at rest (private signing keys, TOTP secrets, client secrets of upstream
 * IdPs) with AES-256-GCM. Keys are derived from `KEY_ENCRYPTION_KEYS` (newest first) with
 * HKDF-SHA256, so the operator's string is never used as a key directly. The newest key seals;
 * any configured key opens what it sealed, which lets the operator rotate the key-encryption
 * key and rewrap at leisure. Each value carries its own random IV and is bound to a purpose
 * (`context`) through the GCM additional data: a TOTP secret cannot be swapped in where a
 * private key is expected.
 */
@Injectable()
export class SecretBox {
  private readonly keks: readonly Kek[];

  constructor(config: AppConfig) {
    this.keks = config.security.keyEncryptionKeys.map((material) => {
      const ikm = Buffer.from(material, 'utf8');
      return {
        id: Buffer.from(hkdfSync('sha256', ikm, SALT, 'secret-box key id v1', 6)).toString(
          'base64url',
        ),
        // The same derivation as `v1` values, so they open with the key that sealed them.
        key: Buffer.from(hkdfSync('sha256', ikm, SALT, 'aes-256-gcm key v1', 32)),
      };
    });
    if (this.keks.length === 0) throw new Error('No key-encryption key configured');
  }

  /** The ids of the configured keys, newest first (for operators; they reveal nothing). */
  get keyIds(): string[] {
    return this.keks.map((kek) => kek.id);
  }

  seal(plaintext: string, context: string): string {
    const kek = this.newest;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      kek.id,
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      tag.toString('base64url'),
    ].join('.');
  }

  /**
   * Throws when the value was altered or sealed for another context, and `SecretBoxKeyError`
   * when none of the configured keys sealed it.
   */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts[0] === VERSION && parts.length === 5) {
      const [, kekId, iv, ciphertext, tag] = parts as [string, string, string, string, string];
      const kek = this.keks.find((candidate) => candidate.id === kekId);
      if (!kek) {
        throw new SecretBoxKeyError(
          `Sealed with key-encryption key ${kekId}, which is not among the configured ones (${this.keyIds.join(', ')})`,
        );
      }
      return decrypt(kek.key, iv, ciphertext, tag, context);
    }
    if (parts[0] === LEGACY_VERSION && parts.length === 4) {
      const [, iv, ciphertext, tag] = parts as [string, string, string, string];
      // v1 does not name its key: GCM's tag tells which configured key (if any) sealed it.
      for (const kek of this.keks) {
        try {
          return decrypt(kek.key, iv, ciphertext, tag, context);
        } catch {
          // try the next key
        }
      }
      throw new SecretBoxKeyError(
        'A v1 sealed value opens with none of the configured key-encryption keys (or was altered)',
      );
    }
    throw new Error('Sealed value has an unknown format');
  }

  /** Whether a value is sealed with the newest key in the current format. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${VERSION}.${this.newest.id}.`);
  }

  /** The value sealed again with the newest key, or null when it already is. */
  reseal(sealed: string, context: string): string | null {
    if (this.isCurrent(sealed)) return null;
    return this.seal(this.open(sealed, context), context);
  }

  private get newest(): Kek {
    return this.keks[0];
  }
}

function decrypt(
  key: Buffer,
  iv: string,
  ciphertext: string,
  tag: string,
  context: string,
): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([
    decipher.update(Buffer.from(ciphertext, 'base64url')),
    decipher.final(),
  ]).toString('utf8');
}
