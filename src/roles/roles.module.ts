import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import './core.permissions';
import { Role } from './entities/role.entity';
import { RolesController } from './roles.controller';
import { RolesService } from './roles.service';

/** Roles and the permission catalogue; CASL abilities are built in `ability.factory.ts`. */
@Module({
  imports: [TypeOrmModule.forFeature([Role])],
  controllers: [RolesController],
  providers: [RolesService],
  exports: [RolesService],
})
export class RolesModule {}
