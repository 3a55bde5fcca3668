import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CORE_PERMISSIONS } from './core.permissions';
import { Role } from './entities/role.entity';
import { providePermissions } from './provide-permissions';
import { RolesController } from './roles.controller';
import { RolesService } from './roles.service';

/** Roles and the permission catalogue; CASL abilities are built in `ability.factory.ts`. */
@Module({
  imports: [TypeOrmModule.forFeature([Role])],
  controllers: [RolesController],
  providers: [RolesService, providePermissions(...CORE_PERMISSIONS)],
  exports: [RolesService],
})
export class RolesModule {}
