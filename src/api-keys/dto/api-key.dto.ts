import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsDateString,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
} from 'class-validator';
import { RoleRefDto } from '../../users/dto/user.dto';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI deploys', maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: "Default: the creator's roles",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  roleIds?: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the key stops working (default: never)',
  })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'must be an ISO 8601 date-time' })
  expiresAt?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ description: 'The public part of the key, to recognise it' })
  prefix!: string;

  @ApiProperty({ type: [RoleRefDto] })
  roles!: RoleRefDto[];

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  expiresAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt!: string | null;

  @ApiProperty({ format: 'uuid' })
  createdById!: string;
}

export class CreatedApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  prefix!: string;

  @ApiProperty({
    description:
      'gat_<prefix>_<secret>: shown only in this answer; absent from an idempotent replay after 10 minutes (`Idempotent-Secret-Withheld`)',
    example: 'gat_0a1b2c3d4e5f_…',
    required: false,
  })
  key!: string;

  @ApiProperty({ type: [RoleRefDto] })
  roles!: RoleRefDto[];

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  expiresAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeyDto] })
  items!: ApiKeyDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
