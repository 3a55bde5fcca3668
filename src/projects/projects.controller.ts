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
import { CreateProjectDto, ProjectDto, ProjectPageDto, UpdateProjectDto } from './dto/project.dto';
import { ProjectsService } from './projects.service';

/** One decorator per route states the action on the subject; the service checks the object. */
@ApiTags('projects')
@ApiBadRequestResponse({ description: 'Invalid input', type: ProblemResponseDto })
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @Can('read', 'Project')
  @ApiOperation({ summary: 'Projects of the tenant' })
  @ApiOkResponse({ type: ProjectPageDto })
  list(@Auth() auth: Principal, @Query() query: PageQueryDto): Promise<ProjectPageDto> {
    return this.projects.list(auth, query);
  }

  @Post()
  @Can('create', 'Project')
  @ApiOperation({ summary: 'Create a project owned by the caller' })
  @ApiCreatedResponse({ type: ProjectDto })
  create(@Auth() auth: Principal, @Body() body: CreateProjectDto): Promise<ProjectDto> {
    return this.projects.create(auth, body);
  }

  @Get(':id')
  @Can('read', 'Project')
  @ApiOperation({ summary: 'One project of the tenant' })
  @ApiOkResponse({ type: ProjectDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  get(@Auth() auth: Principal, @UuidParam() id: string): Promise<ProjectDto> {
    return this.projects.get(auth, id);
  }

  @Patch(':id')
  @Can('update', 'Project')
  @ApiOperation({ summary: 'Change a project (members: only their own)' })
  @ApiOkResponse({ type: ProjectDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  update(
    @Auth() auth: Principal,
    @UuidParam() id: string,
    @Body() body: UpdateProjectDto,
  ): Promise<ProjectDto> {
    return this.projects.update(auth, id, body);
  }

  @Delete(':id')
  @Can('delete', 'Project')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a project (members: only their own)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@Auth() auth: Principal, @UuidParam() id: string): Promise<void> {
    return this.projects.remove(auth, id);
  }
}
