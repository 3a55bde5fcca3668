import { type DynamicModule, Global, Module } from '@nestjs/common';
import { WINSTON_MODULE_NEST_PROVIDER, WINSTON_MODULE_PROVIDER, WinstonLogger } from 'nest-winston';
import type * as winston from 'winston';

/**
 * Provides the one winston logger built before Nest starts (so boot errors are logged the same
 * way), both raw and as Nest's LoggerService.
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: winston.Logger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: WINSTON_MODULE_PROVIDER, useValue: logger },
        { provide: WINSTON_MODULE_NEST_PROVIDER, useValue: new WinstonLogger(logger) },
      ],
      exports: [WINSTON_MODULE_PROVIDER, WINSTON_MODULE_NEST_PROVIDER],
    };
  }
}
