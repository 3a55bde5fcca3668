import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal/principal';
import { Can } from '../common/decorators/access.decorators';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import type { IfMatch } from '../common/http/if-match';
import { Auth } from '../common/http/request-context';
import { IfMatchHeader, VersionedRead, VersionedWrite } from '../common/http/versioned';
import { PageQueryDto } from '../common/pagination/pagination';
import { CreateSsoConnectionDto, UpdateSsoConnectionDto } from './dto/sso-connection.dto';
import { SsoConnectionDto, SsoConnectionListDto } from './dto/sso-connection-response.dto';
import { SsoConnectionsService } from './sso-connections.service';
import { UuidParam } from '../common/pipes/parse-uuid.pipe';

@ApiTags('sso')
@ApiBadRequestResponse({ description: 'Invalid fields', type: ProblemResponseDto })
@Controller('v1/sso/connections')
export class SsoConnectionsController {
  constructor(private readonly connections: SsoConnectionsService) {}

  @Get()
  @Can('read', 'SsoConnection')
  @ApiOperation({ summary: "The tenant's SSO connections" })
  @ApiOkResponse({ type: SsoConnectionListDto })
  list(@Auth() auth: Principal, @Query() query: PageQueryDto): Promise<SsoConnectionListDto> {
    return this.connections.list(auth, query);
  }

  @Post()
  @Can('create', 'SsoConnection')
  @ApiOperation({ summary: 'Add a SAML 2.0 or OIDC connection' })
  @ApiCreatedResponse({ type: SsoConnectionDto })
  @ApiForbiddenResponse({
    description: 'Owner-level (platform admin in the root tenant)',
    type: ProblemResponseDto,
  })
  @ApiConflictResponse({ description: 'A domain is already served', type: ProblemResponseDto })
  create(@Auth() auth: Principal, @Body() body: CreateSsoConnectionDto): Promise<SsoConnectionDto> {
    return this.connections.create(auth, body);
  }

  @Get(':id')
  @Can('read', 'SsoConnection')
  @ApiOperation({ summary: 'One connection (the OIDC client secret is never returned)' })
  @VersionedRead(SsoConnectionDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  get(@Auth() auth: Principal, @UuidParam() id: string): Promise<SsoConnectionDto> {
    return this.connections.get(auth, id);
  }

  @Patch(':id')
  @Can('update', 'SsoConnection')
  @ApiOperation({ summary: 'Change a connection; the type cannot change' })
  @VersionedWrite(SsoConnectionDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  @ApiForbiddenResponse({
    description: 'Anything but the name is owner-level (platform admin in the root tenant)',
    type: ProblemResponseDto,
  })
  @ApiConflictResponse({ description: 'A domain is already served', type: ProblemResponseDto })
  update(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: UpdateSsoConnectionDto,
    @IfMatchHeader() ifMatch: IfMatch,
  ): Promise<SsoConnectionDto> {
    return this.connections.update(auth, id, body, ifMatch);
  }

  @Post(':id/domains/verify')
  @Can('update', 'SsoConnection')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Look up the TXT record of each pending domain and mark the proven ones verified',
  })
  @ApiOkResponse({ type: SsoConnectionDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  @ApiConflictResponse({
    description: 'A pending domain is verified by another tenant',
    type: ProblemResponseDto,
  })
  verifyDomains(@Auth() auth: Principal, @UuidParam() id: string): Promise<SsoConnectionDto> {
    return this.connections.verifyDomains(auth, id);
  }

  @Delete(':id')
  @Can('delete', 'SsoConnection')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove a connection and the identities linked through it' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.connections.remove(auth, id);
  }
}
