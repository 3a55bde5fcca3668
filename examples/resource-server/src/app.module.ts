import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { GatehouseJwtStrategy } from './auth/gatehouse-jwt.strategy';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { PermissionGuard } from './auth/permission.guard';
import { GatehouseConfig } from './gatehouse.config';
import { ReportsController } from './reports.controller';

@Module({
  imports: [PassportModule],
  controllers: [ReportsController],
  providers: [
    { provide: GatehouseConfig, useValue: new GatehouseConfig(process.env) },
    GatehouseJwtStrategy,
    // Global guards run in this order: who is calling, then what they may do.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: PermissionGuard },
  ],
})
export class AppModule {}
