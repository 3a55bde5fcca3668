import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { AbsentOrValue, Nullable } from '../../common/decorators/presence.decorators';
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

  @Nullable({ type: String, maxLength: 200 })
  @IsString()
  @MaxLength(200)
  name?: string | null;

  @AbsentOrValue({
    description: 'Without one, the owner is mailed a link to set it (valid 7 days)',
  })
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

  @AbsentOrValue({ enum: TENANT_PLANS, default: 'free' })
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

/** JSON Merge Patch: absent keeps a field; none of these can be cleared, so `null` is refused. */
export class UpdateTenantDto {
  @AbsentOrValue({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @AbsentOrValue({ enum: TENANT_PLANS })
  @IsIn(TENANT_PLANS)
  plan?: TenantPlan;

  @AbsentOrValue({
    enum: TENANT_STATUSES,
    description: 'suspended: its users can neither log in nor use tokens',
  })
  @IsIn(TENANT_STATUSES)
  status?: TenantStatus;
}

/** Merged into the stored settings: an absent setting keeps its value. */
export class UpdateTenantSettingsDto {
  @AbsentOrValue()
  @IsBoolean()
  allowSignup?: boolean;

  @AbsentOrValue()
  @IsBoolean()
  requireEmailVerification?: boolean;

  @AbsentOrValue()
  @IsBoolean()
  requireMfaForAdmins?: boolean;

  @Nullable({
    type: [String],
    description: 'Names of configured providers; null: every configured provider (the default)',
  })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(32, { each: true })
  socialProviders?: string[] | null;

  @AbsentOrValue()
  @IsBoolean()
  ssoRequired?: boolean;

  @Nullable({
    type: [String],
    maxItems: MAX_TENANT_REDIRECTS,
    description: `${REDIRECT_ALLOWLIST_DESCRIPTION}; null clears it`,
  })
  @IsArray()
  @ArrayMaxSize(MAX_TENANT_REDIRECTS)
  @IsString({ each: true })
  @MaxLength(MAX_REDIRECT_URI_LENGTH, { each: true })
  redirectAllowlist?: string[] | null;
}

/** JSON Merge Patch: absent keeps a field, `settings` merges, `null` on `name` is refused. */
export class UpdateCurrentTenantDto {
  @AbsentOrValue({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @AbsentOrValue({
    type: UpdateTenantSettingsDto,
    description: 'Merged into the stored settings; null for one of them clears it where allowed',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateTenantSettingsDto)
  settings?: UpdateTenantSettingsDto;
}
