import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { User } from '../entities/user.entity';
import { VersionProperty } from '../../common/http/versioned';

export class RoleRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'member' })
  name!: string;
}

/**
 * A user as the API shows it. Built field by field: hashes and secrets cannot slip out. Only `id`
 * is always there: a principal sees the fields its rules allow (members: `{id, name, email}` of
 * others).
 */
export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiPropertyOptional({ format: 'uuid' })
  tenantId!: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  email!: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace' })
  name!: string;

  @ApiPropertyOptional({ enum: ['active', 'disabled'] })
  status!: 'active' | 'disabled';

  @ApiPropertyOptional()
  emailVerified!: boolean;

  @ApiPropertyOptional()
  mfaEnabled!: boolean;

  @ApiPropertyOptional({ type: [RoleRefDto] })
  roles!: RoleRefDto[];

  @ApiPropertyOptional({ format: 'date-time' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  lastLoginAt!: string | null;

  // A partial view (another user, to a member) carries no version: it moves on every login.
  @VersionProperty({ required: false })
  version!: number;

  static from(
    user: Pick<
      User,
      | 'id'
      | 'tenantId'
      | 'email'
      | 'name'
      | 'status'
      | 'emailVerified'
      | 'mfaEnabled'
      | 'createdAt'
      | 'lastLoginAt'
      | 'version'
    >,
    roles: readonly { id: string; name: string }[],
  ): UserDto {
    return {
      id: user.id,
      tenantId: user.tenantId,
      email: user.email,
      name: user.name,
      status: user.status,
      emailVerified: user.emailVerified,
      mfaEnabled: user.mfaEnabled,
      roles: roles.map((role) => ({ id: role.id, name: role.name })),
      createdAt: user.createdAt.toISOString(),
      lastLoginAt: user.lastLoginAt ? user.lastLoginAt.toISOString() : null,
      version: user.version,
    };
  }
}

/** What a principal may see of a user: every field, or only those its rules allow (members see
 * `{id, name, email}` of others). */
export type VisibleUser = Partial<UserDto> & Pick<UserDto, 'id'>;

export class UserPageDto {
  @ApiProperty({ type: [UserDto], description: 'Members see only id, name and email of others' })
  items!: VisibleUser[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
