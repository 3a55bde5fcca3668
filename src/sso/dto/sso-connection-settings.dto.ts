import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsNotEmpty,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { AbsentOrValue, Nullable } from '../../common/decorators/presence.decorators';
import { UUID_PATTERN } from '../../common/pipes/parse-uuid.pipe';

const CERTIFICATE_MAX = 16_384;

// The per-protocol settings and the attribute mapping of a connection, as an admin sends them.

export class SamlSettingsDto {
  @AbsentOrValue({ example: 'https://idp.example.com/saml', maxLength: 1024 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  idpEntityId?: string;

  @AbsentOrValue({
    example: 'https://idp.example.com/saml/sso',
    description: 'Single sign-on URL of the IdP for the HTTP-Redirect binding (https)',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  ssoUrl?: string;

  @AbsentOrValue({
    description: 'The IdP signing certificate (PEM or base64 DER, RSA ≥ 2048)',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(CERTIFICATE_MAX)
  certificate?: string;

  @Nullable({
    type: [String],
    description: 'Further accepted signing certificates (rollover), at most 4; null: none',
  })
  @IsArray()
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MaxLength(CERTIFICATE_MAX, { each: true })
  additionalCertificates?: string[] | null;

  @AbsentOrValue({
    description:
      'IdP metadata XML instead of the fields above: entity ID, HTTP-Redirect SSO URL and signing certificates are read from it',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(90_000)
  metadataXml?: string;
}

export class OidcSettingsDto {
  @AbsentOrValue({ example: 'https://login.example.com', description: 'Issuer (https)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  issuer?: string;

  @AbsentOrValue({ maxLength: 255 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  clientId?: string;

  @AbsentOrValue({ description: 'Stored encrypted; never returned', writeOnly: true })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  clientSecret?: string;

  @Nullable({
    type: [String],
    example: ['openid', 'email', 'profile'],
    description: 'null: the default, openid email profile',
  })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, { each: true, message: 'must be scope tokens' })
  scopes?: string[] | null;
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

/** Optional, merged into the stored mapping on update: where email, name and groups come from, and the roles groups bring at JIT. */
export class AttributeMappingDto {
  @Nullable({
    type: String,
    description: 'SAML attribute name or OIDC claim holding the email; null: the default',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  email?: string | null;

  @Nullable({
    type: String,
    description: 'SAML attribute name or OIDC claim holding the name; null: the default',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  name?: string | null;

  @Nullable({
    type: String,
    description: 'SAML attribute name or OIDC claim holding the groups; null: the default',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  groups?: string | null;

  @Nullable({ type: [GroupRolesDto], description: 'Replaces the list; null clears it' })
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => GroupRolesDto)
  groupRoles?: GroupRolesDto[] | null;
}
