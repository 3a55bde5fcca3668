import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { AbsentOrValue, Nullable } from '../../common/decorators/presence.decorators';
import type { RuleConditions } from '../permission-rule';
import { ACTIONS, type Action } from '../permission-rule';
import { VersionProperty } from '../../common/http/versioned';

export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{1,63}$/;

export class PermissionRuleDto {
  @ApiProperty({ enum: ACTIONS })
  @IsIn(ACTIONS)
  action!: Action;

  @ApiProperty({ example: 'Project', description: 'A subject of GET /v1/permissions, or "all"' })
  @IsString()
  @MaxLength(64)
  subject!: string;

  @AbsentOrValue({
    description: 'Equality conditions on the subject\'s fields; "${user.id}" stands for the caller',
    example: { ownerId: '${user.id}' },
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  conditions?: RuleConditions;

  @AbsentOrValue({ type: [String], example: ['name'] })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  fields?: string[];

  @AbsentOrValue({ description: 'A restriction ("cannot") rather than a grant' })
  @IsBoolean()
  inverted?: boolean;
}

export class CreateRoleDto {
  @ApiProperty({ example: 'auditor', pattern: ROLE_NAME_PATTERN.source })
  @IsString()
  @Matches(ROLE_NAME_PATTERN, { message: 'must match ^[a-z][a-z0-9_-]{1,63}$' })
  name!: string;

  @Nullable({ type: String, maxLength: 500 })
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiProperty({ type: [PermissionRuleDto] })
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PermissionRuleDto)
  permissions!: PermissionRuleDto[];
}

/** JSON Merge Patch: absent keeps a field; `null` clears `description`; `permissions` replaces. */
export class UpdateRoleDto {
  @Nullable({ type: String, maxLength: 500, description: 'null clears it' })
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @AbsentOrValue({ type: [PermissionRuleDto], description: 'Replaces the rules; [] for none' })
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PermissionRuleDto)
  permissions?: PermissionRuleDto[];
}

export class RoleDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'auditor' })
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ description: 'Built-in roles cannot be changed or deleted' })
  builtIn!: boolean;

  @ApiProperty({ type: [PermissionRuleDto] })
  permissions!: PermissionRuleDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @VersionProperty()
  version!: number;
}

export class RolePageDto {
  @ApiProperty({ type: [RoleDto] })
  items!: RoleDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class SubjectDto {
  @ApiProperty({ example: 'Project' })
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ enum: ACTIONS, isArray: true })
  actions!: Action[];

  @ApiProperty({ type: [String] })
  fields!: string[];

  @ApiPropertyOptional({ description: 'OAuth scope prefix (read/write)', example: 'projects' })
  scope?: string;
}

export class PermissionCatalogDto {
  @ApiProperty({ enum: ACTIONS, isArray: true })
  actions!: Action[];

  @ApiProperty({ type: [SubjectDto] })
  subjects!: SubjectDto[];
}
