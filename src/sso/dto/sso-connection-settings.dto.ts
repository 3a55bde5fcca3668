import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { UUID_PATTERN } from '../../common/pipes/parse-uuid.pipe';

const CERTIFICATE_MAX = 16_384;

// The per-protocol settings and the attribute mapping of a connection, as an admin sends them.

export class SamlSettingsDto {
  @ApiPropertyOptional({ example: 'https://idp.example.com/saml', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  idpEntityId?: string;

  @ApiPropertyOptional({
    example: 'https://idp.example.com/saml/sso',
    description: 'Single sign-on URL of the IdP for the HTTP-Redirect binding (https)',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  ssoUrl?: string;

  @ApiPropertyOptional({
    description: 'The IdP signing certificate (PEM or base64 DER, RSA ≥ 2048)',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(CERTIFICATE_MAX)
  certificate?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Further accepted signing certificates (rollover), at most 4',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MaxLength(CERTIFICATE_MAX, { each: true })
  additionalCertificates?: string[];

  @ApiPropertyOptional({
    description:
      'IdP metadata XML instead of the fields above: entity ID, HTTP-Redirect SSO URL and signing certificates are read from it',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(90_000)
  metadataXml?: string;
}

export class OidcSettingsDto {
  @ApiPropertyOptional({ example: 'https://login.example.com', description: 'Issuer (https)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  issuer?: string;

  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  clientId?: string;

  @ApiPropertyOptional({ description: 'Stored encrypted; never returned', writeOnly: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  clientSecret?: string;

  @ApiPropertyOptional({ type: [String], example: ['openid', 'email', 'profile'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, { each: true, message: 'must be scope tokens' })
  scopes?: string[];
}

export class GroupRolesDto {
  @ApiProperty({ example: 'engineering' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  group!: string;

  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(UUID_PATTERN, { each: true, message: 'must contain role ids' })
  roleIds!: string[];
}

/** Optional: where email, name and groups come from, and the roles groups bring at JIT. */
export class AttributeMappingDto {
  @ApiPropertyOptional({ description: 'SAML attribute name or OIDC claim holding the email' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  email?: string;

  @ApiPropertyOptional({ description: 'SAML attribute name or OIDC claim holding the name' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  name?: string;

  @ApiPropertyOptional({ description: 'SAML attribute name or OIDC claim holding the groups' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  groups?: string;

  @ApiPropertyOptional({ type: [GroupRolesDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => GroupRolesDto)
  groupRoles?: GroupRolesDto[];
}
