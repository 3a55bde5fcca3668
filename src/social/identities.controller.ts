import { Controller, Delete, Get, HttpCode, HttpStatus, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal/principal';
import { AccountSelfService } from '../account/account-holder';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import { Auth } from '../common/http/request-context';
import { PageQueryDto } from '../common/pagination/pagination';
import { IdentityListDto } from './dto/identity.dto';
import { IdentitiesService } from './identities.service';
import { UuidParam } from '../common/pipes/parse-uuid.pipe';

@ApiTags('auth')
@Controller('v1/auth/identities')
export class IdentitiesController {
  constructor(private readonly identities: IdentitiesService) {}

  @Get()
  @AccountSelfService()
  @ApiOperation({ summary: "The caller's linked social and SSO identities" })
  @ApiOkResponse({ type: IdentityListDto })
  @ApiBadRequestResponse({
    description: 'Bad `limit`, `cursor` or `order` (`validation_failed`)',
    type: ProblemResponseDto,
  })
  list(@Auth() auth: Principal, @Query() query: PageQueryDto): Promise<IdentityListDto> {
    return this.identities.list(auth, query);
  }

  @Delete(':id')
  @AccountSelfService()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Unlink one of the caller’s identities' })
  @ApiNoContentResponse({ description: 'Unlinked' })
  @ApiNotFoundResponse({ description: 'Not an identity of the caller', type: ProblemResponseDto })
  @ApiConflictResponse({
    description: '`conflict`: it is the last way to sign in (no password, no other identity)',
    type: ProblemResponseDto,
  })
  unlink(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.identities.unlink(auth, id);
  }
}
