import { Injectable } from '@nestjs/common';
import { newId } from '../common/crypto/ids';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { definedKeys } from '../common/http/defined-keys';
import { type Page, type PageQueryDto, paginate } from '../common/pagination/pagination';
import { whereAccessible } from '../roles/accessible-query';
import type { CreateProjectDto, ProjectDto, UpdateProjectDto } from './dto/project.dto';
import { Project } from './entities/project.entity';

function toDto(project: Project): ProjectDto {
  return {
    id: project.id,
    tenantId: project.tenantId,
    ownerId: project.ownerId,
    name: project.name,
    description: project.description,
    createdAt: project.createdAt.toISOString(),
    updatedAt: project.updatedAt.toISOString(),
  };
}

/**
 * The sample resource, written the way every feature module should be: the route decorator
 * checks the action on the type, the service loads through the tenant-scoped repository (so
 * another tenant's project is simply not found) and checks the loaded object against the
 * caller's ability before touching it, and every change is audited.
 */
@Injectable()
export class ProjectsService {
  constructor(
    @InjectTenantRepository(Project) private readonly projects: TenantScopedRepository<Project>,
    private readonly audit: AuditService,
  ) {}

  async list(auth: Principal, query: PageQueryDto): Promise<Page<ProjectDto>> {
    const { rows, nextCursor } = await paginate(
      whereAccessible(
        this.projects.queryBuilder('project'),
        'project',
        auth.permissions,
        'read',
        'Project',
      ),
      query,
    );
    return { items: rows.map(toDto), nextCursor };
  }

  async get(auth: Principal, id: string): Promise<ProjectDto> {
    return toDto(await this.load(auth, 'read', id));
  }

  async create(auth: Principal, input: CreateProjectDto): Promise<ProjectDto> {
    // A project belongs to a user; an OAuth client acting for no one cannot own one.
    if (!auth.userId) throw AppError.forbidden('Projects are owned by users.');
    const now = new Date();
    const project = this.projects.create({
      id: newId(),
      ownerId: auth.userId,
      name: input.name,
      description: input.description ?? '',
      createdAt: now,
      updatedAt: now,
    });
    auth.permissions.assert('create', 'Project', project);
    await this.projects.insert(project);
    this.record(auth, 'project.created', project.id, { name: project.name });
    return toDto(project);
  }

  async update(auth: Principal, id: string, input: UpdateProjectDto): Promise<ProjectDto> {
    const project = await this.load(auth, 'update', id);
    for (const field of definedKeys(input))
      auth.permissions.assert('update', 'Project', project, field);
    // null clears the description (JSON Merge Patch) to the empty one a new project gets.
    const changes: Partial<Project> = { updatedAt: new Date() };
    if (input.name !== undefined) changes.name = input.name;
    if (input.description !== undefined) changes.description = input.description ?? '';
    await this.projects.update({ id }, changes);
    this.record(auth, 'project.updated', id, { fields: definedKeys(input) });
    return toDto(Object.assign(project, changes));
  }

  async remove(auth: Principal, id: string): Promise<void> {
    await this.load(auth, 'delete', id);
    await this.projects.delete({ id });
    this.record(auth, 'project.deleted', id, {});
  }

  private async load(
    auth: Principal,
    action: 'read' | 'update' | 'delete',
    id: string,
  ): Promise<Project> {
    const project = await this.projects.findById(id);
    if (!project) throw AppError.notFound();
    auth.permissions.assert(action, 'Project', project);
    return project;
  }

  private record(
    auth: Principal,
    action: string,
    id: string,
    metadata: Record<string, unknown>,
  ): void {
    this.audit.record({
      action,
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'project', id },
      metadata,
    });
  }
}
