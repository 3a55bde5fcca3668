import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { TENANT_SLUG_PATTERN } from '../../auth/dto/auth.dto';
import { UserDto } from '../../users/dto/user.dto';
import { MAX_REDIRECT_URI_LENGTH, MAX_TENANT_REDIRECTS } from '../app-redirect';
import {
  TENANT_PLANS,
  TENANT_STATUSES,
  type TenantPlan,
  type TenantStatus,
} from '../entities/tenant.entity';
import { VersionProperty } from '../../common/http/versioned';

const REDIRECT_ALLOWLIST_DESCRIPTION =
  "Absolute URLs (no query or fragment) this tenant's logins may return to, intersected with APP_REDIRECT_ALLOWLIST; null: the instance list";

export class TenantSettingsDto {
  @ApiProperty({ description: 'Anyone may register (never in the root tenant)' })
  allowSignup!: boolean;

  @ApiProperty({ description: 'Password login waits until the email is verified' })
  requireEmailVerification!: boolean;

  @ApiProperty({
    description:
      'Whoever may manage users, roles, API keys, OAuth clients, SSO connections or the tenant must use MFA (their API keys are refused until they do)',
  })
  requireMfaForAdmins!: boolean;

  @ApiProperty({ type: [String], description: 'Social providers users may sign in with' })
  socialProviders!: string[];

  @ApiProperty({ description: "Users of the SSO connections' domains cannot use passwords" })
  ssoRequired!: boolean;

  @ApiProperty({ type: [String], nullable: true, description: REDIRECT_ALLOWLIST_DESCRIPTION })
  redirectAllowlist!: string[] | null;
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  slug!: string;

  @ApiProperty({ example: 'Acme Inc.' })
  name!: string;

  @ApiProperty({ enum: TENANT_PLANS })
  plan!: TenantPlan;

  @ApiProperty({ enum: TENANT_STATUSES })
  status!: TenantStatus;

  @ApiProperty({ type: TenantSettingsDto })
  settings!: TenantSettingsDto;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @VersionProperty()
  version!: number;
}

export class TenantPageDto {
  @ApiProperty({ type: [TenantDto] })
  items!: TenantDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class NewOwnerDto {
  @ApiProperty({ example: 'owner@acme.example' })
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    description: 'Without one, the owner is mailed a link to set it (valid 7 days)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;
}

export class CreateTenantDto {
  @ApiProperty({ example: 'acme', pattern: TENANT_SLUG_PATTERN.source })
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'must match ^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$' })
  slug!: string;

  @ApiProperty({ example: 'Acme Inc.', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ enum: TENANT_PLANS, default: 'free' })
  @IsOptional()
  @IsIn(TENANT_PLANS)
  plan?: TenantPlan;

  @ApiProperty({ type: NewOwnerDto })
  @IsObject()
  @ValidateNested()
  @Type(() => NewOwnerDto)
  owner!: NewOwnerDto;
}

export class CreatedTenantDto {
  @ApiProperty({ type: TenantDto })
  tenant!: TenantDto;

  @ApiProperty({ type: UserDto })
  owner!: UserDto;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ enum: TENANT_PLANS })
  @IsOptional()
  @IsIn(TENANT_PLANS)
  plan?: TenantPlan;

  @ApiPropertyOptional({
    enum: TENANT_STATUSES,
    description: 'suspended: its users can neither log in nor use tokens',
  })
  @IsOptional()
  @IsIn(TENANT_STATUSES)
  status?: TenantStatus;
}

export class UpdateTenantSettingsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  allowSignup?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  requireEmailVerification?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  requireMfaForAdmins?: boolean;

  @ApiPropertyOptional({ type: [String], description: 'Names of configured providers' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(32, { each: true })
  socialProviders?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  ssoRequired?: boolean;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: MAX_TENANT_REDIRECTS,
    description: `${REDIRECT_ALLOWLIST_DESCRIPTION}; null clears it`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TENANT_REDIRECTS)
  @IsString({ each: true })
  @MaxLength(MAX_REDIRECT_URI_LENGTH, { each: true })
  redirectAllowlist?: string[] | null;
}

export class UpdateCurrentTenantDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: UpdateTenantSettingsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateTenantSettingsDto)
  settings?: UpdateTenantSettingsDto;
}
