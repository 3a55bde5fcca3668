import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal/principal';
import { Can } from '../common/decorators/access.decorators';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import { Auth } from '../common/http/request-context';
import { AuditLogService } from './audit-log.service';
import { AuditChainVerificationDto, AuditEventPageDto } from './dto/audit-event.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events.query';

/** The audit log, read only: no route changes it. */
@ApiTags('audit')
@ApiTooManyRequestsResponse({ description: 'Rate limited', type: ProblemResponseDto })
@Controller('v1/audit-events')
export class AuditController {
  constructor(private readonly log: AuditLogService) {}

  @Get()
  @Can('read', 'AuditEvent')
  @ApiOperation({ summary: "The tenant's audit events, newest first" })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiBadRequestResponse({ description: 'A bad filter or cursor', type: ProblemResponseDto })
  list(
    @Auth() auth: Principal,
    @Query() query: ListAuditEventsQueryDto,
  ): Promise<AuditEventPageDto> {
    return this.log.list(auth, query);
  }

  @Get('verify')
  @Can('read', 'AuditEvent')
  @ApiOperation({ summary: "Recomputes the tenant's hash chain and names the first broken row" })
  @ApiOkResponse({ type: AuditChainVerificationDto })
  verify(@Auth() auth: Principal): Promise<AuditChainVerificationDto> {
    return this.log.verify(auth);
  }
}
