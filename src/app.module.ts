import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import type * as winston from 'winston';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AccountModule } from './account/account.module';
import { BackgroundTasks } from './account/background-tasks';
import { AuditModule } from './audit/audit.module';
import { AuditService } from './audit/audit.service';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { LoggingModule } from './common/logging/logging.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { bindIdempotentRoutes } from './idempotency/idempotent-routes';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProjectsModule } from './projects/projects.module';
import { MailModule } from './mail/mail.module';
import { OAuthModule } from './oauth/oauth.module';
import { RolesModule } from './roles/roles.module';
import { SocialModule } from './social/social.module';
import { SsoModule } from './sso/sso.module';
import { TenantsModule } from './tenants/tenants.module';
import { UsersModule } from './users/users.module';

export interface AppModuleOptions {
  config: AppConfig;
  logger: winston.Logger;
}

/**
 * The whole application. The configuration is loaded before this module is built, and passed
 * in, so `main.ts` and every e2e test boot exactly the same graph with their own settings.
 */
@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(
    private readonly tasks: BackgroundTasks,
    private readonly audit: AuditService,
  ) {}

  static forRoot({ config, logger }: AppModuleOptions): DynamicModule {
    // Bound before Nest scans the modules, which registers each route's interceptors as it goes.
    return bindIdempotentRoutes({
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        CommonModule,
        DatabaseModule.forRoot(),
        // Express matches a request against the routes one by one, in the order Nest registers
        // them, which follows this list: the busiest routes (login, refresh, `/v1/auth/me`) first.
        AuthModule,
        AuditModule,
        MetricsModule,
        MailModule,
        RolesModule,
        UsersModule,
        TenantsModule,
        ApiKeysModule,
        ProjectsModule,
        // npm run new:module adds the modules it generates above this line.
        SocialModule,
        SsoModule,
        AccountModule,
        RateLimitModule,
        OAuthModule,
        HealthModule,
        IdempotencyModule,
      ],
    });
  }

  /**
   * Nest closes the HTTP server only after the `beforeApplicationShutdown` hooks, so a request
   * still in flight then can start background work and record audit events after those hooks
   * drained them. Shutdown hooks run from the root module outwards, the global modules (the
   * database's among them) last: this one finishes that work while the database is still open.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.tasks.settled();
    await this.audit.close();
  }
}
