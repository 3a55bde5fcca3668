import 'reflect-metadata';
import { Controller, Get } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../src/app.module';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import { Public } from '../../src/common/decorators/access.decorators';
import { AppError } from '../../src/common/errors/app-error';
import { createWinstonLogger } from '../../src/common/logging/logger.factory';
import { UuidParam } from '../../src/common/pipes/parse-uuid.pipe';
import { loadConfig } from '../../src/config/load-config';
import { configureApp } from '../../src/configure-app';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** A route as a feature module would write it: the id goes straight into a uuid column query. */
@Controller('v1/probes')
class ProbeController {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  @Get(':id')
  @Public()
  async find(@UuidParam() id: string): Promise<{ id: string }> {
    const event = await this.events.findOneBy({ id });
    if (!event) throw AppError.notFound();
    return { id: event.id };
  }
}

describe('UUID path parameters (ParseUuidPipe) in the real pipeline', () => {
  let app: NestExpressApplication;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
      BOOTSTRAP_ADMIN_PASSWORD: 'platform admin passphrase',
      RATE_LIMITS: 'off',
      ...database.env,
    });
    const logger = createWinstonLogger(config);
    for (const transport of logger.transports) transport.silent = true;
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ config, logger }), TypeOrmModule.forFeature([AuditEvent])],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false });
    configureApp(app);
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('a well-formed id reaches the database: unknown answers 404 from the lookup', async () => {
    const res = await request(app.getHttpServer()).get(
      '/v1/probes/0190A000-0000-7000-8000-00000000000A',
    );
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('anything else answers the same 404 and never reaches PostgreSQL (which would 500)', async () => {
    for (const id of [
      'not-a-uuid',
      '%00',
      '%2e%2e',
      '..%2F..%2Fetc',
      encodeURIComponent("' OR 1=1 --"),
      '0190a000-0000-7000-8000-00000000000',
      'x'.repeat(3000),
    ]) {
      const res = await request(app.getHttpServer()).get(`/v1/probes/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('not_found');
    }
  });

  it('an undecodable parameter is a 400 problem, not an error page', async () => {
    const res = await request(app.getHttpServer()).get('/v1/probes/%zz');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
