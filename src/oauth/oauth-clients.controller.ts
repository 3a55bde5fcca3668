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
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal/principal';
import { Can } from '../common/decorators/access.decorators';
import { OneTimeSecret } from '../common/decorators/one-time-secret.decorator';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import type { IfMatch } from '../common/http/if-match';
import { Auth } from '../common/http/request-context';
import { PageQueryDto } from '../common/pagination/pagination';
import { IfMatchHeader, VersionedRead, VersionedWrite } from '../common/http/versioned';
import {
  CreateOAuthClientDto,
  OAuthClientDto,
  OAuthClientListDto,
  OAuthClientWithSecretDto,
  UpdateOAuthClientDto,
} from './dto/oauth-client.dto';
import { OAuthClientsService } from './oauth-clients.service';
import { UuidParam } from '../common/pipes/parse-uuid.pipe';

@ApiTags('oauth')
@ApiBadRequestResponse({ description: 'Invalid fields', type: ProblemResponseDto })
@Controller('v1/oauth/clients')
export class OAuthClientsController {
  constructor(private readonly clients: OAuthClientsService) {}

  @Get()
  @Can('read', 'OAuthClient')
  @ApiOperation({ summary: "The tenant's OAuth clients" })
  @ApiOkResponse({ type: OAuthClientListDto })
  list(@Auth() auth: Principal, @Query() query: PageQueryDto): Promise<OAuthClientListDto> {
    return this.clients.list(auth, query);
  }

  @Post()
  @Can('create', 'OAuthClient')
  @OneTimeSecret('clientSecret')
  @ApiOperation({ summary: 'Register an OAuth client; a confidential one gets its secret once' })
  @ApiCreatedResponse({ type: OAuthClientWithSecretDto })
  create(
    @Auth() auth: Principal,
    @Body() body: CreateOAuthClientDto,
  ): Promise<OAuthClientWithSecretDto> {
    return this.clients.create(auth, body);
  }

  @Get(':id')
  @Can('read', 'OAuthClient')
  @ApiOperation({ summary: 'One OAuth client' })
  @VersionedRead(OAuthClientDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  get(@Auth() auth: Principal, @UuidParam() id: string): Promise<OAuthClientDto> {
    return this.clients.get(auth, id);
  }

  @Patch(':id')
  @Can('update', 'OAuthClient')
  @ApiOperation({ summary: 'Change an OAuth client' })
  @VersionedWrite(OAuthClientDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  update(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: UpdateOAuthClientDto,
    @IfMatchHeader() ifMatch: IfMatch,
  ): Promise<OAuthClientDto> {
    return this.clients.update(auth, id, body, ifMatch);
  }

  @Delete(':id')
  @Can('delete', 'OAuthClient')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an OAuth client; its tokens stop working within seconds' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.clients.remove(auth, id);
  }

  @Post(':id/secret')
  @Can('update', 'OAuthClient')
  @OneTimeSecret('clientSecret')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Rotate the secret of a confidential client (shown once); older tokens stop working',
  })
  @ApiOkResponse({ type: OAuthClientWithSecretDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  rotateSecret(
    @Auth() auth: Principal,
    @UuidParam() id: string,
  ): Promise<OAuthClientWithSecretDto> {
    return this.clients.rotateSecret(auth, id);
  }
}
