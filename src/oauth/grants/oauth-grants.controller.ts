import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Principal } from '../../auth/principal/principal';
import { Authenticated } from '../../common/decorators/access.decorators';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { Auth } from '../../common/http/request-context';
import { NewestFirstPageQueryDto } from '../../common/pagination/pagination';
import { OAuthGrantListDto } from '../dto/oauth-grant.dto';
import { OAuthGrantsService } from './oauth-grants.service';

const FIRST_PARTY_ONLY = {
  description: 'Not a first-party token (OAuth tokens and API keys cannot see or revoke grants)',
  type: ProblemResponseDto,
};

/** The applications the caller let act for them (OAuth grants), and taking that back. */
@ApiTags('auth')
@ApiTooManyRequestsResponse({ description: 'Rate limited', type: ProblemResponseDto })
@Controller('v1/auth/grants')
export class OAuthGrantsController {
  constructor(private readonly grants: OAuthGrantsService) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: "The caller's OAuth grants (connected applications), newest first" })
  @ApiOkResponse({ type: OAuthGrantListDto })
  @ApiBadRequestResponse({
    description: 'Bad `limit`, `cursor` or `order` (`validation_failed`)',
    type: ProblemResponseDto,
  })
  @ApiForbiddenResponse(FIRST_PARTY_ONLY)
  list(
    @Auth() auth: Principal,
    @Query() query: NewestFirstPageQueryDto,
  ): Promise<OAuthGrantListDto> {
    return this.grants.list(auth, query);
  }

  @Delete(':id')
  @Authenticated()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary:
      'Revoke one of the caller’s grants: its refresh tokens stop at once, its access tokens within 10 s',
  })
  @ApiParam({ name: 'id', description: 'The grant id' })
  @ApiNoContentResponse({ description: 'The grant and its tokens are revoked' })
  @ApiForbiddenResponse(FIRST_PARTY_ONLY)
  @ApiNotFoundResponse({ description: 'Unknown, or not the caller’s', type: ProblemResponseDto })
  revoke(@Auth() auth: Principal, @Param('id') id: string): Promise<void> {
    return this.grants.revoke(auth, id);
  }
}
