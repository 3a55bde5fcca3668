import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { SSO_CONNECTION_TYPES, type SsoConnectionType } from '../entities/sso-connection.entity';
import { UUID_PATTERN } from '../../common/pipes/parse-uuid.pipe';
import {
  AttributeMappingDto,
  OidcSettingsDto,
  SamlSettingsDto,
} from './sso-connection-settings.dto';

export const IDP_ENFORCES_MFA =
  'The IdP enforces MFA (default false): a login whose signed answer shows a second factor (SAML AuthnContextClassRef, OIDC amr "mfa" or an MFA acr) skips the account\'s own MFA challenge';

class ConnectionFieldsDto {
  @ApiProperty({ example: 'Acme Okta', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    type: [String],
    example: ['acme.com'],
    description:
      'Email domains this connection claims; each serves once verified by DNS, and one tenant only can verify a domain',
  })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  domains!: string[];

  @ApiPropertyOptional({ description: 'Create unknown users at their first login (default false)' })
  @IsOptional()
  @IsBoolean()
  jitProvisioning?: boolean;

  @ApiPropertyOptional({ description: IDP_ENFORCES_MFA })
  @IsOptional()
  @IsBoolean()
  idpEnforcesMfa?: boolean;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: "Roles of JIT-provisioned users (default: the tenant's member role)",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(UUID_PATTERN, { each: true, message: 'must contain role ids' })
  defaultRoleIds?: string[];

  @ApiPropertyOptional({ type: AttributeMappingDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AttributeMappingDto)
  attributeMapping?: AttributeMappingDto;

  @ApiPropertyOptional({ type: SamlSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SamlSettingsDto)
  saml?: SamlSettingsDto;

  @ApiPropertyOptional({ type: OidcSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => OidcSettingsDto)
  oidc?: OidcSettingsDto;
}

export class CreateSsoConnectionDto extends ConnectionFieldsDto {
  @ApiProperty({ enum: SSO_CONNECTION_TYPES })
  @IsIn(SSO_CONNECTION_TYPES)
  type!: SsoConnectionType;
}

/** Every field optional; the type never changes. `saml`/`oidc` fields given replace the stored ones. */
export class UpdateSsoConnectionDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  domains?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  jitProvisioning?: boolean;

  @ApiPropertyOptional({ description: IDP_ENFORCES_MFA })
  @IsOptional()
  @IsBoolean()
  idpEnforcesMfa?: boolean;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(UUID_PATTERN, { each: true, message: 'must contain role ids' })
  defaultRoleIds?: string[];

  @ApiPropertyOptional({ type: AttributeMappingDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AttributeMappingDto)
  attributeMapping?: AttributeMappingDto;

  @ApiPropertyOptional({ type: SamlSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SamlSettingsDto)
  saml?: SamlSettingsDto;

  @ApiPropertyOptional({ type: OidcSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => OidcSettingsDto)
  oidc?: OidcSettingsDto;
}
