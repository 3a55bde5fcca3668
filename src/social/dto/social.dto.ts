import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { TENANT_SLUG_PATTERN } from '../../auth/dto/auth.dto';

export class SocialStartQueryDto {
  @ApiProperty({ example: 'acme', description: "The tenant's slug" })
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'must be a tenant slug' })
  tenant!: string;

  @ApiProperty({
    name: 'redirect_uri',
    example: 'https://app.example.com/auth/callback',
    description:
      'Where the browser returns with `?code=` or `?error=`; must equal an APP_REDIRECT_ALLOWLIST entry once its query string is removed',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  // The OAuth name of the parameter (SPEC §6), hence not camelCase.
  redirect_uri!: string;

  @ApiPropertyOptional({
    name: 'code_challenge',
    description:
      'PKCE S256 challenge (43-128 base64url characters): `POST /v1/auth/exchange` then needs its `code_verifier`',
    minLength: 43,
    maxLength: 128,
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  code_challenge?: string;

  @ApiPropertyOptional({ name: 'code_challenge_method', enum: ['S256'], default: 'S256' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  code_challenge_method?: string;
}
