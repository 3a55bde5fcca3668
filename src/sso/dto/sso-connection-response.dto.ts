import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SSO_CONNECTION_TYPES, type SsoConnectionType } from '../entities/sso-connection.entity';
import { AttributeMappingDto } from './sso-connection-settings.dto';
import { IDP_ENFORCES_MFA } from './sso-connection.dto';
import { VersionProperty } from '../../common/http/versioned';

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

  @VersionProperty()
  version!: number;
}

export class SsoConnectionListDto {
  @ApiProperty({ type: [SsoConnectionDto] })
  items!: SsoConnectionDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}
