import { Controller, Delete, Get, HttpCode, HttpStatus, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Principal } from '../../auth/principal/principal';
import { AccountSelfService } from '../account-holder';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { Auth } from '../../common/http/request-context';
import { NewestFirstPageQueryDto } from '../../common/pagination/pagination';
import { SessionListDto } from '../dto/session.dto';
import { AllowedBeforeMfaEnrollment } from '../mfa/admin-mfa.gate';
import { UserSessionsService } from './user-sessions.service';
import { UuidParam } from '../../common/pipes/parse-uuid.pipe';

@ApiTags('auth')
@ApiTooManyRequestsResponse({ description: 'Rate limited', type: ProblemResponseDto })
@Controller('v1/auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: UserSessionsService) {}

  @Get()
  @AccountSelfService()
  @AllowedBeforeMfaEnrollment()
  @ApiOperation({ summary: "The caller's live sessions (signed-in devices), newest first" })
  @ApiOkResponse({ type: SessionListDto })
  @ApiBadRequestResponse({
    description: 'Bad `limit`, `cursor` or `order` (`validation_failed`)',
    type: ProblemResponseDto,
  })
  list(@Auth() auth: Principal, @Query() query: NewestFirstPageQueryDto): Promise<SessionListDto> {
    return this.sessions.list(auth, query);
  }

  @Delete(':id')
  @AccountSelfService()
  @AllowedBeforeMfaEnrollment()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one of the caller’s sessions; its tokens stop working' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'The session is revoked' })
  @ApiNotFoundResponse({
    description: 'Unknown, ended, or not the caller’s',
    type: ProblemResponseDto,
  })
  revoke(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.sessions.revoke(auth, id);
  }
}
