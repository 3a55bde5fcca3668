import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

/** `GET /v1/audit-events/verify` options. */
export class VerifyAuditChainQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description:
      'Walk the whole chain from its first row instead of from the last verified point, to find ' +
      'rows changed below it. Same limit as any verify.',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  full?: 'true' | 'false';
}
