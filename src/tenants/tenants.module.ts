import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserAccountsModule } from '../users/user-accounts.module';
import { Tenant } from './entities/tenant.entity';
import { PlatformBootstrapService } from './platform-bootstrap.service';
import { TenantDirectory } from './tenant-directory.service';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant]), UserAccountsModule],
  controllers: [TenantsController],
  providers: [TenantDirectory, TenantsService, PlatformBootstrapService],
  exports: [TenantDirectory, TenantsService],
})
export class TenantsModule {}
