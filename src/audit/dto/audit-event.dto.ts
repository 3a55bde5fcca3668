import { ApiProperty } from '@nestjs/swagger';
import type { AuditEvent } from '../entities/audit-event.entity';

class AuditActorDto {
  @ApiProperty({ enum: ['user', 'api_key', 'client', 'system'] })
  type!: string;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;
}

class AuditTargetDto {
  @ApiProperty({ type: String, nullable: true, example: 'user' })
  type!: string | null;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;
}

/** One audit event as the API shows it (SPEC §11): the chain fields stay internal. */
export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  tenantId!: string | null;

  @ApiProperty({ type: AuditActorDto })
  actor!: AuditActorDto;

  @ApiProperty({ example: 'auth.login' })
  action!: string;

  @ApiProperty({ type: AuditTargetDto })
  target!: AuditTargetDto;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: 'success' | 'failure';

  @ApiProperty({ type: String, nullable: true })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata!: Record<string, unknown>;

  static from(event: AuditEvent): AuditEventDto {
    return {
      id: event.id,
      at: event.at.toISOString(),
      tenantId: event.tenantId,
      actor: { type: event.actorType, id: event.actorId },
      action: event.action,
      target: { type: event.targetType, id: event.targetId },
      outcome: event.outcome,
      ip: event.ip,
      userAgent: event.userAgent,
      requestId: event.requestId,
      metadata: event.metadata as Record<string, unknown>,
    };
  }
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] })
  items!: AuditEventDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` (or `after`) for the next page; see `order=asc` for tailing',
  })
  nextCursor!: string | null;
}

export class AuditChainVerificationDto {
  @ApiProperty({ description: "Whether the tenant's chain is intact" })
  valid!: boolean;

  @ApiProperty({
    description:
      'Rows checked by this call: those added since the last intact verification (all rows with ' +
      '`full=true`), up to and including the first broken one; 0 when nothing was added',
  })
  checked!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description:
      'The first row whose hash, link or position is wrong; null when valid, or when the rows ' +
      'verified last time are gone (the chain was cut at its end) or the stored checkpoint ' +
      'was altered',
  })
  firstBrokenId!: string | null;
}
