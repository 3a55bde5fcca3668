import { type DynamicModule, Module } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import type * as winston from 'winston';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { LoggingModule } from './common/logging/logging.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { OAuthModule } from './oauth/oauth.module';
import { RolesModule } from './roles/roles.module';
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
export class AppModule {
  static forRoot({ config, logger }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        // The CLS middleware is mounted by configureApp, before the body parsers.
        ClsModule.forRoot({ global: true }),
        CommonModule,
        DatabaseModule.forRoot(),
        AuditModule,
        RolesModule,
        UsersModule,
        TenantsModule,
        AuthModule,
        OAuthModule,
        HealthModule,
      ],
    };
  }
}
