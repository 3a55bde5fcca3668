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
import { UuidParam } from '../common/pipes/parse-uuid.pipe';
import {
  CreatedTenantDto,
  CreateTenantDto,
  TenantDto,
  TenantPageDto,
  UpdateCurrentTenantDto,
  UpdateTenantDto,
} from './dto/tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBadRequestResponse({ description: 'Invalid input', type: ProblemResponseDto })
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  // `current` is declared before `:id` so that it is never taken for an id.
  @Get('current')
  @Can('read', 'Tenant')
  @ApiOperation({ summary: "The caller's tenant" })
  @VersionedRead(TenantDto)
  current(@Auth() auth: Principal): Promise<TenantDto> {
    return this.tenants.getCurrent(auth);
  }

  @Patch('current')
  @Can('update', 'Tenant')
  @ApiOperation({ summary: "Change the caller's tenant: its name and settings" })
  @VersionedWrite(TenantDto)
  updateCurrent(
    @Auth() auth: Principal,
    @Body() body: UpdateCurrentTenantDto,
    @IfMatchHeader() ifMatch: IfMatch,
  ): Promise<TenantDto> {
    return this.tenants.updateCurrent(auth, body, ifMatch);
  }

  @Get()
  @Can('manage', 'Platform')
  @ApiOperation({ summary: 'Every tenant (platform admins)' })
  @ApiOkResponse({ type: TenantPageDto })
  list(@Query() query: PageQueryDto): Promise<TenantPageDto> {
    return this.tenants.list(query);
  }

  @Post()
  @Can('manage', 'Platform')
  @ApiOperation({ summary: 'Create a tenant with its owner (platform admins)' })
  @ApiCreatedResponse({ type: CreatedTenantDto })
  @ApiConflictResponse({ description: 'The slug is taken', type: ProblemResponseDto })
  create(@Auth() auth: Principal, @Body() body: CreateTenantDto): Promise<CreatedTenantDto> {
    return this.tenants.create(auth, body);
  }

  @Get(':id')
  @Can('manage', 'Platform')
  @ApiOperation({ summary: 'One tenant (platform admins)' })
  @VersionedRead(TenantDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  get(@UuidParam() id: string): Promise<TenantDto> {
    return this.tenants.get(id);
  }

  @Patch(':id')
  @Can('manage', 'Platform')
  @ApiOperation({ summary: 'Change a tenant: name, plan, status (suspend) (platform admins)' })
  @VersionedWrite(TenantDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  update(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: UpdateTenantDto,
    @IfMatchHeader() ifMatch: IfMatch,
  ): Promise<TenantDto> {
    return this.tenants.update(auth, id, body, ifMatch);
  }

  @Delete(':id')
  @Can('manage', 'Platform')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a tenant and everything it owns (platform admins)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.tenants.remove(auth, id);
  }
}
