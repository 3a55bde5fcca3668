import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsString,
  IsUUID,
  MaxLength,
} from 'class-validator';
import { AbsentOrValue, Nullable } from '../../common/decorators/presence.decorators';
import {
  OAUTH_CLIENT_TYPES,
  OAUTH_GRANT_TYPES,
  type OAuthClient,
  type OAuthClientType,
  type OAuthGrantType,
} from '../entities/oauth-client.entity';
import { OAUTH_SCOPES } from '../oauth-scopes';
import { VersionProperty } from '../../common/http/versioned';

const MAX_URIS = 20;
const MAX_URI_LENGTH = 2000;
const MAX_ROLES = 50;

export class CreateOAuthClientDto {
  @ApiProperty({ maxLength: 200, example: 'Acme dashboard' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    enum: OAUTH_CLIENT_TYPES,
    description: 'confidential: has a secret; public: PKCE only',
  })
  @IsIn(OAUTH_CLIENT_TYPES)
  type!: OAuthClientType;

  @ApiProperty({
    type: [String],
    maxItems: MAX_URIS,
    description: 'Exact redirect URIs: https, or http on 127.0.0.1, [::1] or localhost only',
  })
  @IsArray()
  @ArrayMaxSize(MAX_URIS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_URI_LENGTH, { each: true })
  redirectUris!: string[];

  @Nullable({ type: [String], maxItems: MAX_URIS })
  @IsArray()
  @ArrayMaxSize(MAX_URIS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_URI_LENGTH, { each: true })
  postLogoutRedirectUris?: string[] | null;

  @ApiProperty({ enum: OAUTH_GRANT_TYPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OAUTH_GRANT_TYPES.length)
  @ArrayUnique()
  @IsIn(OAUTH_GRANT_TYPES, { each: true })
  grantTypes!: OAuthGrantType[];

  @ApiProperty({ enum: OAUTH_SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OAUTH_SCOPES.length)
  @ArrayUnique()
  @IsIn(OAUTH_SCOPES, { each: true })
  scopes!: string[];

  @Nullable({
    type: [String],
    format: 'uuid',
    description: "Roles of the tenant: the client's own permissions for client_credentials",
  })
  @IsArray()
  @ArrayMaxSize(MAX_ROLES)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  roleIds?: string[] | null;

  @AbsentOrValue({ description: 'Skip the consent page (first-party applications)' })
  @IsBoolean()
  skipConsent?: boolean;
}

/**
 * JSON Merge Patch: absent keeps a field, lists given replace the stored ones, `null` clears
 * `postLogoutRedirectUris` and `roleIds` and is refused for the rest.
 */
export class UpdateOAuthClientDto {
  @AbsentOrValue({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @AbsentOrValue({ type: [String], maxItems: MAX_URIS })
  @IsArray()
  @ArrayMaxSize(MAX_URIS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_URI_LENGTH, { each: true })
  redirectUris?: string[];

  @Nullable({ type: [String], maxItems: MAX_URIS, description: 'null clears them' })
  @IsArray()
  @ArrayMaxSize(MAX_URIS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_URI_LENGTH, { each: true })
  postLogoutRedirectUris?: string[] | null;

  @AbsentOrValue({ enum: OAUTH_GRANT_TYPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OAUTH_GRANT_TYPES.length)
  @ArrayUnique()
  @IsIn(OAUTH_GRANT_TYPES, { each: true })
  grantTypes?: OAuthGrantType[];

  @AbsentOrValue({ enum: OAUTH_SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OAUTH_SCOPES.length)
  @ArrayUnique()
  @IsIn(OAUTH_SCOPES, { each: true })
  scopes?: string[];

  @Nullable({ type: [String], format: 'uuid', description: 'null clears them' })
  @IsArray()
  @ArrayMaxSize(MAX_ROLES)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  roleIds?: string[] | null;

  @AbsentOrValue()
  @IsBoolean()
  skipConsent?: boolean;
}

export class OAuthClientDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The public identifier used in the OAuth protocol' })
  clientId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: OAUTH_CLIENT_TYPES })
  type!: OAuthClientType;

  @ApiProperty({ type: [String] })
  redirectUris!: string[];

  @ApiProperty({ type: [String] })
  postLogoutRedirectUris!: string[];

  @ApiProperty({ enum: OAUTH_GRANT_TYPES, isArray: true })
  grantTypes!: OAuthGrantType[];

  @ApiProperty({ type: [String] })
  scopes!: string[];

  @ApiProperty({ type: [String], format: 'uuid' })
  roleIds!: string[];

  @ApiProperty()
  skipConsent!: boolean;

  @ApiProperty({
    type: [String],
    description: 'client_secret_basic and client_secret_post, or none (public clients, with PKCE)',
  })
  tokenEndpointAuthMethods!: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @VersionProperty()
  version!: number;

  static from(client: OAuthClient): OAuthClientDto {
    return {
      id: client.id,
      clientId: client.clientId,
      name: client.name,
      type: client.type,
      redirectUris: [...client.redirectUris],
      postLogoutRedirectUris: [...client.postLogoutRedirectUris],
      grantTypes: [...client.grantTypes],
      scopes: [...client.scopes],
      roleIds: [...client.roleIds],
      skipConsent: client.skipConsent,
      tokenEndpointAuthMethods:
        client.type === 'confidential' ? ['client_secret_basic', 'client_secret_post'] : ['none'],
      createdAt: client.createdAt.toISOString(),
      updatedAt: client.updatedAt.toISOString(),
      version: client.version,
    };
  }
}

export class OAuthClientWithSecretDto extends OAuthClientDto {
  @ApiPropertyOptional({
    description:
      'Confidential clients only; shown once, here and when rotated; absent from an idempotent replay after 10 minutes (`Idempotent-Secret-Withheld`)',
  })
  clientSecret?: string;
}

export class OAuthClientListDto {
  @ApiProperty({ type: [OAuthClientDto] })
  items!: OAuthClientDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
