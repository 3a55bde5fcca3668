import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { SSO_CONNECTION_TYPES, type SsoConnectionType } from '../entities/sso-connection.entity';
import { AbsentOrValue, Nullable } from '../../common/decorators/presence.decorators';
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

  @AbsentOrValue({ description: 'Create unknown users at their first login (default false)' })
  @IsBoolean()
  jitProvisioning?: boolean;

  @AbsentOrValue({ description: IDP_ENFORCES_MFA })
  @IsBoolean()
  idpEnforcesMfa?: boolean;

  @Nullable({
    type: [String],
    format: 'uuid',
    description: "Roles of JIT-provisioned users (default: the tenant's member role)",
  })
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(UUID_PATTERN, { each: true, message: 'must contain role ids' })
  defaultRoleIds?: string[] | null;

  @Nullable({ type: AttributeMappingDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AttributeMappingDto)
  attributeMapping?: AttributeMappingDto | null;

  @AbsentOrValue({ type: SamlSettingsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SamlSettingsDto)
  saml?: SamlSettingsDto;

  @AbsentOrValue({ type: OidcSettingsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => OidcSettingsDto)
  oidc?: OidcSettingsDto;
}

export class CreateSsoConnectionDto extends ConnectionFieldsDto {
  @ApiProperty({ enum: SSO_CONNECTION_TYPES })
  @IsIn(SSO_CONNECTION_TYPES)
  type!: SsoConnectionType;
}

/**
 * JSON Merge Patch: absent keeps a field; the type never changes. `saml`, `oidc` and
 * `attributeMapping` merge into the stored ones; lists replace; `null` clears `defaultRoleIds`
 * (back to the member role) and `attributeMapping`, and is refused for the rest.
 */
export class UpdateSsoConnectionDto {
  @AbsentOrValue({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @AbsentOrValue({ type: [String] })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  domains?: string[];

  @AbsentOrValue()
  @IsBoolean()
  jitProvisioning?: boolean;

  @AbsentOrValue({ description: IDP_ENFORCES_MFA })
  @IsBoolean()
  idpEnforcesMfa?: boolean;

  @Nullable({
    type: [String],
    format: 'uuid',
    description: "null: the tenant's member role (the default)",
  })
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(UUID_PATTERN, { each: true, message: 'must contain role ids' })
  defaultRoleIds?: string[] | null;

  @Nullable({
    type: AttributeMappingDto,
    description: 'Merged into the stored one; null clears it',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => AttributeMappingDto)
  attributeMapping?: AttributeMappingDto | null;

  @AbsentOrValue({ type: SamlSettingsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SamlSettingsDto)
  saml?: SamlSettingsDto;

  @AbsentOrValue({ type: OidcSettingsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => OidcSettingsDto)
  oidc?: OidcSettingsDto;
}
