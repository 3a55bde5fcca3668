import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
} from 'class-validator';
import { AbsentOrValue, Nullable } from '../../common/decorators/presence.decorators';
import { PageQueryDto } from '../../common/pagination/pagination';
import { USER_STATUSES, type UserStatus } from '../entities/user.entity';

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the email or the name, case-insensitive' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  search?: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'grace@example.com' })
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;

  @Nullable({ type: String, maxLength: 200 })
  @IsString()
  @MaxLength(200)
  name?: string | null;

  @AbsentOrValue({
    description: 'Without a password, the user is mailed a link to set one (valid 7 days)',
  })
  @IsString()
  @MaxLength(1024)
  password?: string;

  @AbsentOrValue({ type: [String], format: 'uuid', description: 'Default: the member role' })
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  roleIds?: string[];
}

/** JSON Merge Patch: absent keeps a field; `null` clears `name` and is refused for `status`. */
export class UpdateUserDto {
  @Nullable({ type: String, maxLength: 200, description: 'null clears it' })
  @IsString()
  @MaxLength(200)
  name?: string | null;

  @AbsentOrValue({
    enum: USER_STATUSES,
    description: 'Needs the update permission on the status field',
  })
  @IsIn(USER_STATUSES)
  status?: UserStatus;
}

export class SetUserRolesDto {
  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  roleIds!: string[];
}
