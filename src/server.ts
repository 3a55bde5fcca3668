import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type * as winston from 'winston';
import { AppModule } from './app.module';
import { httpsOptionsFor } from './common/http/https-options';
import { createWinstonLogger } from './common/logging/logger.factory';
import type { AppConfig } from './config/app-config';
import { loadConfig } from './config/load-config';
import { configureApp } from './configure-app';

export interface StartOptions {
  /** Builds the logger (tests add a transport that keeps every line). */
  createLogger?: (config: AppConfig) => winston.Logger;
}

export interface RunningServer {
  app: NestExpressApplication;
  config: AppConfig;
  logger: winston.Logger;
}

/**
 * Starts Gatehouse from an environment: configuration, logger, the start-up warnings, HTTPS
 * when configured, the one pipeline of `configureApp`, and the listening socket. `main.ts` runs
 * it on `process.env`; tests run it to exercise the real start (TLS, warnings). Throws a
 * `ConfigError` listing every problem of the configuration.
 */
export async function startServer(
  env: Readonly<Record<string, string | undefined>>,
  options: StartOptions = {},
): Promise<RunningServer> {
  const config = loadConfig(env);
  const logger = (options.createLogger ?? createWinstonLogger)(config);
  for (const warning of config.warnings) logger.warn(warning, { context: 'Config' });

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, logger }),
    {
      bodyParser: false,
      bufferLogs: true,
      // Start-up errors reach the caller (and a clean exit code), not process.abort().
      abortOnError: false,
      httpsOptions: httpsOptionsFor(config),
    },
  );
  configureApp(app);
  await app.listen(config.http.port, config.http.host);
  const scheme = config.http.tls ? 'https' : 'http';
  logger.info(
    `Gatehouse listening on ${scheme}://${config.http.host}:${config.http.port} (public URL ${config.http.publicUrl})`,
    { context: 'Main' },
  );
  return { app, config, logger };
}
