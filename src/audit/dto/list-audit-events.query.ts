import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsPageCursor, NewestFirstPageQueryDto } from '../../common/pagination/pagination';

/** Printable ASCII without spaces: every id the log stores (UUIDs, OAuth client ids). */
const ID_PATTERN = /^[\x21-\x7e]+$/;

/**
 * `GET /v1/audit-events` filters (SPEC §13) and paging, newest first by default. Unknown
 * parameters are refused like unknown fields.
 */
export class ListAuditEventsQueryDto extends NewestFirstPageQueryDto {
  @ApiPropertyOptional({
    example: 'auth.*',
    description: 'An action (`auth.login`), or every action under a prefix (`auth.*`)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$/, {
    message: 'must be an action like auth.login, or a prefix like auth.*',
  })
  action?: string;

  @ApiPropertyOptional({ description: 'Who acted (user, API key or client id)' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(ID_PATTERN, { message: 'must be an id' })
  actorId?: string;

  @ApiPropertyOptional({ example: 'user' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^[A-Z]\w*$/i, { message: 'must be a type name like user' })
  targetType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(ID_PATTERN, { message: 'must be an id' })
  targetId?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: 'success' | 'failure';

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this instant' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'must be an ISO 8601 date-time' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or before this instant' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'must be an ISO 8601 date-time' })
  to?: string;

  @ApiPropertyOptional({
    type: 'string',
    maxLength: 200,
    description:
      'The same as `cursor`, named for tailing: with `order=asc`, the events recorded after this ' +
      'position, each exactly once. Give one of `after` and `cursor`.',
  })
  @IsOptional()
  @IsString()
  @IsPageCursor()
  after?: string;
}
