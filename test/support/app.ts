import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import { reservePort } from './ports';
import request from 'supertest';
import Transport from 'winston-transport';
import { AppModule } from '../../src/app.module';
import { AuditService } from '../../src/audit/audit.service';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { configureApp } from '../../src/configure-app';
import { createWinstonLogger } from '../../src/common/logging/logger.factory';
import { createTestDatabase, type TestDatabase } from './database';
import { validateAnswersAgainstOpenApi } from './openapi-validation';

export const ADMIN_EMAIL = 'admin@gatehouse.test';
export const ADMIN_PASSWORD = 'platform admin passphrase';
export const ROOT_TENANT = 'root';

/** Collects every log line an app writes, to prove that no secret is among them. */
class MemoryTransport extends Transport {
  readonly lines: string[] = [];

  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  /** Everything logged so far, one JSON line per entry. */
  logs: string[];
  database: TestDatabase;
  /** `http://127.0.0.1:<port>` when the app listens on a real port (`listen: true`), else null. */
  baseUrl: string | null;
  /** Waits until buffered audit events are in the database. */
  flushAudit(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Reuse a database (several instances, or a restart); by default each app gets its own. */
  database?: TestDatabase;
  /**
   * Listen on a free port of 127.0.0.1, with PORT and PUBLIC_URL set to it (so the issuer is
   * the address clients reach), for clients that need a real server (openid-client, a browser).
   */
  listen?: boolean;
  /**
   * Changes the configuration after it is read from `env`: for a setting the environment cannot
   * give outside production (the production address policy of the outbound client, say).
   */
  configure?: (config: AppConfig) => AppConfig;
}

/**
 * Boots the real AppModule through `configureApp`, exactly as `main.ts` does, against a database
 * of its own: SQLite in memory under `npm test`, a fresh PostgreSQL database when DATABASE_URL
 * is set. With REDIS_URL set the app uses Redis, under a key prefix unique to this app.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = options.database === undefined;
  const redisUrl = process.env.REDIS_URL?.trim();
  const reserved = options.listen ? await reservePort() : null;
  const port = reserved?.port ?? null;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    RATE_LIMITS: 'off',
    ...(redisUrl
      ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `gh-test-${randomBytes(6).toString('hex')}:` }
      : {}),
    ...database.env,
    ...(port !== null ? { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
    ...options.env,
  };
  const loaded = loadConfig(env);
  const config = options.configure ? options.configure(loaded) : loaded;
  const memory = new MemoryTransport();
  const logger = createWinstonLogger(config, [memory]);
  // Console output of test apps is noise; the memory transport keeps every line.
  for (const transport of logger.transports) {
    if (transport !== memory) transport.silent = process.env.TEST_LOGS !== '1';
  }
  let app: NestExpressApplication;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ config, logger })],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({
      bodyParser: false,
      bufferLogs: true,
    });
    configureApp(app);
    await app.init();
    validateAnswersAgainstOpenApi(app.getHttpServer());
  } finally {
    await reserved?.release();
  }
  if (port !== null) await app.listen(port, '127.0.0.1');
  const server = app.getHttpServer();
  const audit = app.get(AuditService);
  return {
    app,
    config,
    http: () => request(server),
    logs: memory.lines,
    database,
    baseUrl: port !== null ? `http://127.0.0.1:${port}` : null,
    flushAudit: () => audit.drain(),
    close: async () => {
      await app.close();
      if (ownsDatabase) await database.drop();
    },
  };
}
