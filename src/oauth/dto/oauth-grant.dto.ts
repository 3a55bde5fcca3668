import { ApiProperty } from '@nestjs/swagger';

export class OAuthGrantDto {
  @ApiProperty({
    description: 'The grant id',
    example: 'mKUmAbIUGJ3ztSDD4HxPVVBawBHhwUGgRPYtO6s3vpv',
  })
  id!: string;

  @ApiProperty({ description: 'The public `clientId` of the application' })
  clientId!: string;

  @ApiProperty({ description: 'The application’s registered name' })
  clientName!: string;

  @ApiProperty({ type: [String], example: ['openid', 'offline_access', 'users:read'] })
  scopes!: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Last time the application obtained tokens with it (code or refresh)',
  })
  lastUsedAt!: string | null;
}

export class OAuthGrantListDto {
  @ApiProperty({ type: [OAuthGrantDto] })
  items!: OAuthGrantDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}
