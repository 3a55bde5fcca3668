import { ApiProperty } from '@nestjs/swagger';
import type { SigningKey } from '../entities/signing-key.entity';

/** The public summary of a signing key: never private material (the JWKS has the public key). */
export class SigningKeyDto {
  @ApiProperty({ description: 'Key id, the `kid` of tokens it signs (RFC 7638 thumbprint)' })
  kid!: string;

  @ApiProperty({ enum: ['ES256', 'RS256', 'EdDSA'] })
  alg!: string;

  @ApiProperty({ enum: ['active', 'retired', 'revoked'] })
  status!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  retiredAt!: string | null;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When a retired key leaves the JWKS: every token it signed has expired by then',
  })
  publishUntil!: string | null;

  static from(key: SigningKey): SigningKeyDto {
    return {
      kid: key.id,
      alg: key.alg,
      status: key.status,
      createdAt: key.createdAt.toISOString(),
      retiredAt: key.retiredAt?.toISOString() ?? null,
      publishUntil: key.publishUntil?.toISOString() ?? null,
    };
  }
}
