import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { readFileSync } from 'node:fs';
import { AppModule } from './app.module';
import { createWinstonLogger } from './common/logging/logger.factory';
import { ConfigError, loadConfig } from './config/load-config';
import { configureApp } from './configure-app';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createWinstonLogger(config);
  for (const warning of config.warnings) logger.warn(warning, { context: 'Config' });

  const httpsOptions = config.http.tls
    ? {
        cert: readFileSync(config.http.tls.certFile),
        key: readFileSync(config.http.tls.keyFile),
        // TLS 1.3 only (SPEC §4): older clients are refused during the handshake.
        minVersion: 'TLSv1.3' as const,
      }
    : undefined;

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, logger }),
    {
      bodyParser: false,
      bufferLogs: true,
      httpsOptions,
    },
  );
  configureApp(app);
  await app.listen(config.http.port, config.http.host);
  const scheme = config.http.tls ? 'https' : 'http';
  logger.info(
    `Gatehouse listening on ${scheme}://${config.http.host}:${config.http.port} (public URL ${config.http.publicUrl})`,
    {
      context: 'Main',
    },
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Gatehouse failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
