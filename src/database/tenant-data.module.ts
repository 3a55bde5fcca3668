import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideTenantRepositories } from '../common/database/tenant-scoped.repository';
import { TENANT_OWNED_ENTITIES } from './tenant-owned';

const repositories = provideTenantRepositories(...TENANT_OWNED_ENTITIES);

/**
 * A tenant-scoped repository of every tenant-owned entity, for any module to inject with
 * `@InjectTenantRepository(Entity)`: the one way to reach their rows.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([...TENANT_OWNED_ENTITIES])],
  providers: repositories,
  exports: repositories,
})
export class TenantDataModule {}
