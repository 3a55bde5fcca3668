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
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import { Auth } from '../common/http/request-context';
import { PageQueryDto } from '../common/pagination/pagination';
import { UuidParam } from '../common/pipes/parse-uuid.pipe';
import {
  Create__Name__Dto,
  __Name__Dto,
  __Name__PageDto,
  Update__Name__Dto,
} from './dto/__name__.dto';
import { __Names__Service } from './__names__.service';

/** One decorator per route states the action on the subject; the service checks the object. */
@ApiTags('__names__')
@ApiBadRequestResponse({ description: 'Invalid input', type: ProblemResponseDto })
@Controller('v1/__names__')
export class __Names__Controller {
  constructor(private readonly __camels__: __Names__Service) {}

  @Get()
  @Can('read', '__Name__')
  @ApiOperation({ summary: '__Label__ of the tenant' })
  @ApiOkResponse({ type: __Name__PageDto })
  list(@Auth() auth: Principal, @Query() query: PageQueryDto): Promise<__Name__PageDto> {
    return this.__camels__.list(auth, query);
  }

  @Post()
  @Can('create', '__Name__')
  @ApiOperation({ summary: 'Create one, owned by the caller' })
  @ApiCreatedResponse({ type: __Name__Dto })
  create(@Auth() auth: Principal, @Body() body: Create__Name__Dto): Promise<__Name__Dto> {
    return this.__camels__.create(auth, body);
  }

  @Get(':id')
  @Can('read', '__Name__')
  @ApiOkResponse({ type: __Name__Dto })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  get(@Auth() auth: Principal, @UuidParam() id: string): Promise<__Name__Dto> {
    return this.__camels__.get(auth, id);
  }

  @Patch(':id')
  @Can('update', '__Name__')
  @ApiOperation({ summary: 'Change one (members: only their own)' })
  @ApiOkResponse({ type: __Name__Dto })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  update(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: Update__Name__Dto,
  ): Promise<__Name__Dto> {
    return this.__camels__.update(auth, id, body);
  }

  @Delete(':id')
  @Can('delete', '__Name__')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete one (members: only their own)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.__camels__.remove(auth, id);
  }
}
