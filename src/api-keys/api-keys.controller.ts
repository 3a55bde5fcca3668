import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
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
import { Auth } from '../common/http/request-context';
import { PageQueryDto } from '../common/pagination/pagination';
import { UuidParam } from '../common/pipes/parse-uuid.pipe';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyPageDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

@ApiTags('api-keys')
@ApiBadRequestResponse({ description: 'Invalid input', type: ProblemResponseDto })
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @Can('read', 'ApiKey')
  @ApiOperation({ summary: 'Active API keys of the tenant (never their secrets)' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  list(@Auth() auth: Principal, @Query() query: PageQueryDto): Promise<ApiKeyPageDto> {
    return this.keys.list(auth, query);
  }

  @Post()
  @Can('create', 'ApiKey')
  @OneTimeSecret('key')
  @ApiOperation({ summary: 'Create an API key; the key is shown only in this answer' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  create(@Auth() auth: Principal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(auth, body);
  }

  @Delete(':id')
  @Can('delete', 'ApiKey')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  revoke(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.keys.revoke(auth, id);
  }
}
