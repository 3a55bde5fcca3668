import { ApiProperty } from '@nestjs/swagger';
import type { UserIdentity } from '../../users/entities/user-identity.entity';

/** A way the caller signs in through someone else: a social provider or an SSO connection. */
export class IdentityDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    example: 'google',
    description: '`google`, `github`, a configured OIDC provider, or `sso:<connectionId>`',
  })
  provider!: string;

  @ApiProperty({ nullable: true, type: String, example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt!: string | null;

  static from(identity: UserIdentity): IdentityDto {
    return {
      id: identity.id,
      provider: identity.provider,
      email: identity.email,
      createdAt: identity.createdAt.toISOString(),
      lastUsedAt: identity.lastUsedAt?.toISOString() ?? null,
    };
  }
}

export class IdentityListDto {
  @ApiProperty({ type: [IdentityDto] })
  items!: IdentityDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page',
  })
  nextCursor!: string | null;
}
