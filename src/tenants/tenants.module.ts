import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { Tenant } from './entities/tenant.entity';
import { PlatformBootstrapService } from './platform-bootstrap.service';
import { TenantDirectory } from './tenant-directory.service';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant]), UsersModule],
  providers: [TenantDirectory, PlatformBootstrapService],
  exports: [TenantDirectory],
})
export class TenantsModule {}
