import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync } from 'node:crypto';
import { AppConfig } from '../config/app-config';

/** One HMAC key of the audit chain, named by a fingerprint that reveals nothing of it. */
export interface AuditChainKey {
  readonly id: string;
  readonly secret: Buffer;
}

/** The chain key for one KEK: HKDF-SHA256 with a purpose label, as `SecretBox` derives its own. */
export function deriveAuditChainKey(keyEncryptionKey: string): AuditChainKey {
  const secret = Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(keyEncryptionKey, 'utf8'),
      Buffer.from('gatehouse.audit-chain', 'utf8'),
      Buffer.from('hmac-sha256 key v1', 'utf8'),
      32,
    ),
  );
  const id = createHmac('sha256', secret).update('gatehouse.audit-chain key id').digest('hex');
  return { id: id.slice(0, 16), secret };
}

/**
 * The keys of the audit chain. Rows are MACed with a key derived from `KEY_ENCRYPTION_KEY`,
 * never stored: rewriting rows takes that key, not only database access. Each row names its
 * key, so a chain stays verifiable across a KEK change for as long as the old KEK is still
 * listed in `KEY_ENCRYPTION_KEYS` (newest first: the newest MACs new rows).
 */
@Injectable()
export class AuditChainKeys {
  /** The key new rows and checkpoints are MACed with. */
  readonly current: AuditChainKey;
  /** Every key a stored row or checkpoint may name, by id. */
  readonly verifying: ReadonlyMap<string, Buffer>;

  constructor(config: AppConfig) {
    const keys = config.security.keyEncryptionKeys.map(deriveAuditChainKey);
    this.current = keys[0] ?? deriveAuditChainKey(config.security.keyEncryptionKey);
    this.verifying = new Map([this.current, ...keys].map((key) => [key.id, key.secret]));
  }
}
