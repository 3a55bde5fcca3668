import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { TenantScope } from '../common/database/tenant-scope';
import { AuditService } from '../audit/audit.service';
import { AppConfig } from '../config/app-config';
import { withDatabaseLock } from '../database/database-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { createBuiltInRoles } from '../roles/built-in-roles';
import { UserAccountsService } from '../users/user-accounts.service';
import { BootstrapPasswordOutput } from './bootstrap-password-output';
import { DEFAULT_TENANT_SETTINGS, Tenant } from './entities/tenant.entity';

/**
 * First start: the root tenant, its built-in roles and the first platform admin. Runs under a
 * database lock and only when no root tenant exists, so a restart (or a second instance
 * starting at the same moment) changes nothing.
 */
@Injectable()
export class PlatformBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly accounts: UserAccountsService,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly scope: TenantScope,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await withDatabaseLock(this.dataSource, 'bootstrap', async () => {
      if (await this.dataSource.getRepository(Tenant).exists({ where: { isRoot: true } })) return;
      const { tenantSlug, adminEmail, adminPassword } = this.config.bootstrap;
      const password = adminPassword ?? randomBytes(18).toString('base64url');
      const generated = { tenant: tenantSlug, email: adminEmail, password };
      const output = new BootstrapPasswordOutput(this.config.bootstrap.passwordOutput, this.logger);
      const passwordHash = await this.accounts.hashPassword(
        password,
        adminEmail,
        'BOOTSTRAP_ADMIN_PASSWORD',
      );
      if (!adminPassword) await output.prepare(generated);
      const now = new Date();
      const tenant = Object.assign(new Tenant(), {
        id: newId(),
        slug: tenantSlug,
        name: 'Platform',
        plan: 'enterprise' as const,
        status: 'active' as const,
        isRoot: true,
        // Nobody registers into the platform's own tenant (SPEC §13).
        settings: { ...DEFAULT_TENANT_SETTINGS, allowSignup: false },
        createdAt: now,
        updatedAt: now,
      });
      const admin = await this.transactions
        .run(async (manager) => {
          await manager.insert(Tenant, tenant);
          await createBuiltInRoles(manager, tenant.id, true);
          return this.scope.run(tenant.id, () =>
            this.accounts.create(
              manager,
              {
                email: adminEmail,
                name: 'Platform admin',
                emailVerified: true,
                roleNames: ['platform-admin'],
              },
              passwordHash,
            ),
          );
        })
        .catch(async (error: unknown) => {
          await output.discard();
          throw error;
        });
      this.audit.record({
        action: 'tenant.created',
        outcome: 'success',
        tenantId: tenant.id,
        actor: { type: 'system', id: null },
        target: { type: 'tenant', id: tenant.id },
        metadata: { slug: tenant.slug, bootstrap: true },
      });
      this.audit.record({
        action: 'user.created',
        outcome: 'success',
        tenantId: tenant.id,
        actor: { type: 'system', id: null },
        target: { type: 'user', id: admin.id },
        metadata: { roles: ['platform-admin'], bootstrap: true },
      });
      this.logger.log(`Created root tenant "${tenant.slug}" and platform admin ${adminEmail}`);
      if (!adminPassword) output.announce(generated);
    });
  }
}
