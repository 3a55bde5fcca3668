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
import { AuditChainVerifierService } from './audit-chain-verifier.service';
import { AuditLogService } from './audit-log.service';
import { AuditChainVerificationDto, AuditEventPageDto } from './dto/audit-event.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events.query';
import { VerifyAuditChainQueryDto } from './dto/verify-audit-chain.query';

/** The audit log, read only: no route changes it. */
@ApiTags('audit')
@ApiTooManyRequestsResponse({ description: 'Rate limited', type: ProblemResponseDto })
@Controller('v1/audit-events')
export class AuditController {
  constructor(
    private readonly log: AuditLogService,
    private readonly chain: AuditChainVerifierService,
  ) {}

  @Get()
  @Can('read', 'AuditEvent')
  @ApiOperation({
    summary: "The tenant's audit events, newest first (`order=asc&after=` tails the log)",
    description:
      'Ordered by position in the log. With `order=asc`, `nextCursor` is set whenever the page ' +
      'has events: poll with it as `after` to read what is recorded next, each event exactly ' +
      'once; an empty page answers `nextCursor: null`, so keep the last cursor you had.',
  })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiBadRequestResponse({
    description: 'A bad filter, `limit`, `cursor`, `after` or `order`',
    type: ProblemResponseDto,
  })
  list(
    @Auth() auth: Principal,
    @Query() query: ListAuditEventsQueryDto,
  ): Promise<AuditEventPageDto> {
    return this.log.list(auth, query);
  }

  @Get('verify')
  @Can('read', 'AuditEvent')
  @ApiOperation({
    summary: "Verifies the tenant's keyed hash chain and names the first broken row",
    description:
      'Incremental: checks the rows added since the last verification that found the chain ' +
      'intact, and that the row verified last is still there unchanged (a chain cut at its end ' +
      'is broken). `full=true` walks from the first row. One verification per tenant per ' +
      'minute; more answer 429 `rate_limited` with `Retry-After`.',
  })
  @ApiOkResponse({ type: AuditChainVerificationDto })
  @ApiBadRequestResponse({ description: 'A bad `full` value', type: ProblemResponseDto })
  verify(
    @Auth() auth: Principal,
    @Query() query: VerifyAuditChainQueryDto,
  ): Promise<AuditChainVerificationDto> {
    return this.chain.verify(auth, { full: query.full === 'true' });
  }
}
