import { ApiProperty } from '@nestjs/swagger';

export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Last refresh of the session' })
  lastUsedAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Absolute end (`SESSION_MAX_AGE`)' })
  expiresAt!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ description: 'The session of the token making this request' })
  current!: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] })
  items!: SessionDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}
