import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Put,
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
import type { Page } from '../common/pagination/pagination';
import { UuidParam } from '../common/pipes/parse-uuid.pipe';
import {
  CreateUserDto,
  ListUsersQueryDto,
  SetUserRolesDto,
  UpdateUserDto,
} from './dto/manage-user.dto';
import { UserDto, UserPageDto, type VisibleUser } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBadRequestResponse({ description: 'Invalid input', type: ProblemResponseDto })
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Can('read', 'User')
  @ApiOperation({ summary: 'Users of the tenant; `search` matches email or name' })
  @ApiOkResponse({ type: UserPageDto })
  list(@Auth() auth: Principal, @Query() query: ListUsersQueryDto): Promise<Page<VisibleUser>> {
    return this.users.list(auth, query);
  }

  @Post()
  @Can('create', 'User')
  @ApiOperation({
    summary: 'Create a user with a password, or invite one (a 7-day set-password link by mail)',
  })
  @ApiCreatedResponse({ type: UserDto })
  @ApiConflictResponse({
    description: 'The email is taken in this tenant',
    type: ProblemResponseDto,
  })
  create(@Auth() auth: Principal, @Body() body: CreateUserDto): Promise<VisibleUser> {
    return this.users.create(auth, body);
  }

  @Get(':id')
  @Can('read', 'User')
  @ApiOperation({ summary: 'One user of the tenant' })
  @VersionedRead(UserDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  get(@Auth() auth: Principal, @UuidParam() id: string): Promise<VisibleUser> {
    return this.users.get(auth, id);
  }

  @Patch(':id')
  @Can('update', 'User')
  @ApiOperation({ summary: 'Change the name (members: their own), or the status (admins)' })
  @VersionedWrite(UserDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  update(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: UpdateUserDto,
    @IfMatchHeader() ifMatch: IfMatch,
  ): Promise<VisibleUser> {
    return this.users.update(auth, id, body, ifMatch);
  }

  @Delete(':id')
  @Can('delete', 'User')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a user: disabled for good, sessions revoked, audit trail kept' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.users.remove(auth, id);
  }

  @Put(':id/roles')
  @Can('update', 'User')
  @ApiOperation({ summary: "Replace the user's roles (only roles whose permissions you hold)" })
  @VersionedWrite(UserDto)
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  @ApiConflictResponse({
    description: 'The tenant would lose its last owner',
    type: ProblemResponseDto,
  })
  setRoles(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: SetUserRolesDto,
    @IfMatchHeader() ifMatch: IfMatch,
  ): Promise<VisibleUser> {
    return this.users.setRoles(auth, id, body.roleIds, ifMatch);
  }
}
