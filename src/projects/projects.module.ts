import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { providePermissions } from '../roles/provide-permissions';
import { Project } from './entities/project.entity';
import { ProjectsController } from './projects.controller';
import { PROJECT_SUBJECT } from './projects.permissions';
import { ProjectsService } from './projects.service';

/** The sample protected resource: copy this module to add your own. */
@Module({
  imports: [TypeOrmModule.forFeature([Project])],
  controllers: [ProjectsController],
  providers: [
    ProjectsService,
    // Its subject joins the catalogue (and `@Can`) with the module, not with an import.
    providePermissions(PROJECT_SUBJECT),
  ],
})
export class ProjectsModule {}
