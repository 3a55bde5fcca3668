import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { RoleRefDto, UserDto } from '../../users/dto/user.dto';

/** Passwords are bounded before argon2 sees them; the policy explains the 128-character limit. */
const PASSWORD_INPUT_MAX = 1024;
export const TENANT_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

export class RegisterDto {
  @ApiProperty({ example: 'acme', description: "The tenant's slug" })
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'must be a tenant slug' })
  tenant!: string;

  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({
    minLength: 8,
    maxLength: 128,
    description: 'NIST 800-63B: 8 to 128 characters, not a common password',
  })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  password!: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;
}

export class LoginDto {
  @ApiProperty({ example: 'acme' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  tenant!: string;

  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  email!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_INPUT_MAX)
  password!: string;

  @ApiPropertyOptional({ description: 'A TOTP code or an unused recovery code, when MFA is on' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  mfaCode?: string;
}

export class RefreshTokenDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refreshToken!: string;
}

export class ExchangeCodeDto {
  @ApiProperty({ description: 'The one-time code from a social or SSO login redirect' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  code!: string;

  @ApiPropertyOptional({
    description:
      'PKCE (RFC 7636): required when the login was started with a `code_challenge`, refused otherwise. A wrong or missing verifier spends the code.',
    minLength: 43,
    maxLength: 128,
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  // The OAuth name of the parameter, hence not camelCase.
  code_verifier?: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'JWT (typ at+jwt)' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque; rotated on every use' })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn!: number;
}

export class RegisterResponseDto extends TokenPairDto {
  @ApiProperty({ type: UserDto })
  user!: UserDto;
}

export class TenantRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  slug!: string;

  @ApiProperty({ example: 'Acme Inc.' })
  name!: string;

  @ApiProperty({ enum: ['free', 'pro', 'enterprise'] })
  plan!: string;
}

/**
 * The caller's own account in `/me`. A first-party token sees every field; an OAuth token sees
 * `id` and `tenantId`, plus what its scopes name (`profile`: name; `email`: email and
 * emailVerified; an API scope: roles).
 */
export class MeUserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiPropertyOptional({ example: 'ada@example.com', description: 'OAuth: with `email`' })
  email?: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', description: 'OAuth: with `profile`' })
  name?: string;

  @ApiPropertyOptional({ enum: ['active', 'disabled'], description: 'Not shown to OAuth tokens' })
  status?: 'active' | 'disabled';

  @ApiPropertyOptional({ description: 'OAuth: with `email`' })
  emailVerified?: boolean;

  @ApiPropertyOptional({ description: 'Not shown to OAuth tokens' })
  mfaEnabled?: boolean;

  @ApiPropertyOptional({ type: [RoleRefDto], description: 'OAuth: with an API scope' })
  roles?: RoleRefDto[];

  @ApiPropertyOptional({ format: 'date-time', description: 'Not shown to OAuth tokens' })
  createdAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Not shown to OAuth tokens',
  })
  lastLoginAt?: string | null;
}

export class MeResponseDto {
  @ApiProperty({ type: MeUserDto })
  user!: MeUserDto;

  @ApiProperty({ type: TenantRefDto })
  tenant!: TenantRefDto;

  @ApiPropertyOptional({
    type: [RoleRefDto],
    description: 'Roles: [{id, name}]. OAuth tokens see them only with an API scope.',
  })
  roles?: RoleRefDto[];

  @ApiPropertyOptional({
    description:
      'Packed CASL rules bound to the caller (unpack with @casl/ability/extra unpackRules); for an OAuth token, cut to its scopes and shown only with an API scope',
    type: 'array',
    items: { type: 'array', items: {} },
  })
  permissions?: unknown[];
}
