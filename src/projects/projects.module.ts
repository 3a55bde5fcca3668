import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideTenantRepository } from '../common/database/tenant-scoped.repository';
import { Project } from './entities/project.entity';
import { ProjectsController } from './projects.controller';
import './projects.permissions';
import { ProjectsService } from './projects.service';

/** The sample protected resource: copy this module to add your own. */
@Module({
  imports: [TypeOrmModule.forFeature([Project])],
  controllers: [ProjectsController],
  providers: [ProjectsService, provideTenantRepository(Project)],
})
export class ProjectsModule {}
