import { ApiProperty } from '@nestjs/swagger';
import { AbsentOrValue, Nullable } from '../../common/decorators/presence.decorators';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class CreateProjectDto {
  @ApiProperty({ example: 'Website relaunch', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @Nullable({ type: String, maxLength: 2000 })
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}

/** JSON Merge Patch: absent keeps a field; `null` clears `description` and is refused for `name`. */
export class UpdateProjectDto {
  @AbsentOrValue({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @Nullable({ type: String, maxLength: 2000, description: 'null clears it' })
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}

export class ProjectDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({ format: 'uuid' })
  ownerId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class ProjectPageDto {
  @ApiProperty({ type: [ProjectDto] })
  items!: ProjectDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
