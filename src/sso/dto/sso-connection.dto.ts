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

const IDP_ENFORCES_MFA =
  'The IdP enforces MFA (default false): a login whose signed answer shows a second factor (SAML AuthnContextClassRef, OIDC amr "mfa" or an MFA acr) skips the account\'s own MFA challenge';

const CERTIFICATE_MAX = 16_384;

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

export class ListSsoConnectionsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Matches(/^(100|[1-9]\d?)$/, { message: 'must be a whole number from 1 to 100' })
  limit?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'must be a cursor from a previous page' })
  cursor?: string;
}

export class SamlSettingsResponseDto {
  @ApiProperty()
  idpEntityId!: string;

  @ApiProperty()
  ssoUrl!: string;

  @ApiProperty({ description: 'PEM' })
  certificate!: string;

  @ApiProperty({ type: [String] })
  additionalCertificates!: string[];
}

export class OidcSettingsResponseDto {
  @ApiProperty()
  issuer!: string;

  @ApiProperty()
  clientId!: string;

  @ApiProperty({ type: [String] })
  scopes!: string[];
}

export class SsoDomainDto {
  @ApiProperty({ example: 'acme.com' })
  domain!: string;

  @ApiProperty({
    enum: ['pending', 'verified'],
    description: 'Only verified domains serve discovery, JIT provisioning and linking by email',
  })
  status!: 'pending' | 'verified';

  @ApiProperty({
    example: '_gatehouse-challenge.acme.com',
    description: 'Where to publish the TXT record',
  })
  txtName!: string;

  @ApiProperty({ description: 'The TXT record value that proves the domain' })
  txtValue!: string;
}

export class SsoConnectionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({ enum: SSO_CONNECTION_TYPES })
  type!: SsoConnectionType;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: [SsoDomainDto] })
  domains!: SsoDomainDto[];

  @ApiProperty()
  jitProvisioning!: boolean;

  @ApiProperty({ description: IDP_ENFORCES_MFA })
  idpEnforcesMfa!: boolean;

  @ApiProperty({ type: [String], format: 'uuid' })
  defaultRoleIds!: string[];

  @ApiProperty({ type: AttributeMappingDto, nullable: true })
  attributeMapping!: AttributeMappingDto | null;

  @ApiPropertyOptional({ type: SamlSettingsResponseDto })
  saml?: SamlSettingsResponseDto;

  @ApiPropertyOptional({
    type: OidcSettingsResponseDto,
    description: 'The client secret is never returned',
  })
  oidc?: OidcSettingsResponseDto;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'SAML: our SP entity ID, `PUBLIC_URL/v1/sso/saml/:id/metadata`',
  })
  spEntityId!: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'SAML: assertion consumer service (POST)',
  })
  acsUrl!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'SAML: SP metadata XML' })
  metadataUrl!: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'OIDC: the redirect URI to register at the IdP',
  })
  callbackUrl!: string | null;

  @ApiProperty({ description: 'Where to send the browser, with `?redirect_uri=`' })
  loginUrl!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class SsoConnectionListDto {
  @ApiProperty({ type: [SsoConnectionDto] })
  items!: SsoConnectionDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}

export class DiscoverDto {
  @ApiProperty({ example: 'ada@acme.com' })
  @IsString()
  @Matches(/^[^\s@]+@[^\s@]+$/, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;
}

export class DiscoveryResultDto {
  @ApiProperty({ format: 'uuid' })
  connectionId!: string;

  @ApiProperty()
  loginUrl!: string;
}

/** The HTTP-POST binding's form (SAML Bindings §3.5). */
export class SamlPostDto {
  @ApiProperty({ description: 'Base64 SAML Response' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(140_000)
  SAMLResponse!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  RelayState?: string;
}
