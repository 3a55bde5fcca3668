import { Column, Entity } from 'typeorm';
import { JsonColumn, TimestampColumn } from '../../../database/columns';
import type { JWK } from 'jose';

export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export type SigningKeyStatus = 'active' | 'retired' | 'revoked';

/**
 * An asymmetric signing key. The public half is published in the JWKS while `publishUntil`
 * lies ahead; the private half is stored only encrypted with the key-encryption key.
 */
@Entity('signing_keys')
export class SigningKey {
  /** The `kid`. */
  @Column({ type: 'varchar', length: 64, primary: true })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  alg!: SigningAlgorithm;

  @JsonColumn()
  publicJwk!: JWK;

  @Column({ type: 'text' })
  privateJwkEncrypted!: string;

  /**
   * active: signs new tokens; retired: only verifies what it signed before; revoked: withdrawn
   * by a platform admin (a compromise), verifies nothing and leaves the JWKS at once.
   */
  @Column({ type: 'varchar', length: 16 })
  status!: SigningKeyStatus;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn({ nullable: true })
  retiredAt!: Date | null;

  /** When a retired key may leave the JWKS: every token it signed has expired by then. */
  @TimestampColumn({ nullable: true })
  publishUntil!: Date | null;
}
