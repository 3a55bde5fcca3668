import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { databaseEngine } from '../config/database-engine';
import { dataSourceOptions } from './data-source-options';
import { withDatabaseLock } from './database-lock';
import { TenantDataModule } from './tenant-data.module';
import { TransactionRunner } from './transaction-runner';

/**
 * Opens the database and brings its schema up to date before anything else may use it:
 * providers that inject the data source or a repository are built only after the pending
 * migrations have run.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            if (config.database.kind !== databaseEngine()) {
              throw new Error(
                'The configured database engine differs from DATABASE_URL in the process environment',
              );
            }
            return dataSourceOptions(config.database);
          },
          dataSourceFactory: async (options) => {
            if (!options) throw new Error('No data source options');
            const dataSource = await new DataSource(options).initialize();
            const logger = new Logger('Database');
            await withDatabaseLock(dataSource, 'migrations', async () => {
              const applied = await dataSource.runMigrations({ transaction: 'each' });
              for (const migration of applied) logger.log(`Applied migration ${migration.name}`);
            });
            return dataSource;
          },
        }),
        TenantDataModule,
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner, TenantDataModule],
    };
  }
}
