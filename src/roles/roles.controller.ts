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
  CreateRoleDto,
  PermissionCatalogDto,
  RoleDto,
  RolePageDto,
  UpdateRoleDto,
} from './dto/role.dto';
import { RolesService } from './roles.service';

@ApiTags('roles')
@ApiBadRequestResponse({ description: 'Invalid input', type: ProblemResponseDto })
@Controller('v1')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get('permissions')
  @Can('read', 'Role')
  @ApiOperation({ summary: 'The permission catalogue: subjects, their actions and fields' })
  @ApiOkResponse({ type: PermissionCatalogDto })
  permissions(): PermissionCatalogDto {
    return this.roles.catalog();
  }

  @Get('roles')
  @Can('read', 'Role')
  @ApiOperation({ summary: 'Roles of the tenant, built-in and custom' })
  @ApiOkResponse({ type: RolePageDto })
  list(@Auth() auth: Principal, @Query() query: PageQueryDto): Promise<RolePageDto> {
    return this.roles.list(auth, query);
  }

  @Post('roles')
  @Can('create', 'Role')
  @ApiOperation({ summary: 'Create a custom role (only with permissions you hold yourself)' })
  @ApiCreatedResponse({ type: RoleDto })
  @ApiConflictResponse({ description: 'The name is taken', type: ProblemResponseDto })
  create(@Auth() auth: Principal, @Body() body: CreateRoleDto): Promise<RoleDto> {
    return this.roles.create(auth, body);
  }

  @Get('roles/:id')
  @Can('read', 'Role')
  @ApiOperation({ summary: 'One role of the tenant' })
  @VersionedRead(RoleDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  get(@Auth() auth: Principal, @UuidParam() id: string): Promise<RoleDto> {
    return this.roles.get(auth, id);
  }

  @Patch('roles/:id')
  @Can('update', 'Role')
  @ApiOperation({ summary: 'Change a custom role (built-in roles answer 403)' })
  @VersionedWrite(RoleDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  update(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: UpdateRoleDto,
    @IfMatchHeader() ifMatch: IfMatch,
  ): Promise<RoleDto> {
    return this.roles.update(auth, id, body, ifMatch);
  }

  @Delete('roles/:id')
  @Can('delete', 'Role')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a custom role (built-in roles answer 403)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.roles.remove(auth, id);
  }
}
