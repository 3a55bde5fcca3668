import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import proxyaddr from 'proxy-addr';
import { WINSTON_MODULE_NEST_PROVIDER } from 'nest-winston';
import { ClsService } from 'nestjs-cls';
import { auditAdmission, refusedWhileAuditBehind } from './audit/audit-admission.middleware';
import { AuditService } from './audit/audit.service';
import { toAppError } from './common/errors/error-mapping';
import { EngineRateLimiter } from './rate-limit/engine-rate-limit';
import { RateLimitStorage } from './rate-limit/rate-limit.storage';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter';
import { sendProblem } from './common/http/problem';
import { bodyParser } from './common/middleware/body-parsers';
import { clientInfoFor } from './common/http/request-context';
import {
  openRequestContext,
  requestContextMiddleware,
} from './common/middleware/request-context.middleware';
import { corsMiddleware } from './common/middleware/cors';
import { pipeline } from './common/middleware/pipeline';
import {
  assignRequestId,
  requestIdMiddleware,
  requestIdOf,
} from './common/middleware/request-id.middleware';
import { securityHeaderSets, securityHeaders } from './common/middleware/security-headers';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { AppConfig } from './config/app-config';
import { documentContract } from './common/http/openapi-contract';
import { documentIdempotency } from './idempotency/idempotency.openapi';
import { httpMetricsMiddleware, httpTimer } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { OidcProviderService } from './oauth/provider/oidc-provider.service';

/** Paths that parse their own bodies. */
const OWN_BODY_PARSING = ['/oidc'];

/**
 * The one place that sets up the HTTP pipeline. `main.ts` and every e2e test call it, so the
 * tests exercise exactly what production runs. Order matters: the request id first (every
 * answer carries it, even a refused body), then the async context, headers, CORS, and only
 * then the body parsers.
 */
export function configureApp(app: NestExpressApplication): void {
  const config = app.get(AppConfig);
  app.useLogger(app.get(WINSTON_MODULE_NEST_PROVIDER));

  // X-Forwarded-For counts only behind a proxy the operator declared, and only one hop of it.
  app.set('trust proxy', config.http.trustProxy ? 1 : false);
  app.disable('x-powered-by');
  // Answers are `no-store` and mostly personal: an ETag (a hash of every body) buys nothing.
  app.set('etag', false);

  app.use(
    pipeline([
      requestIdMiddleware,
      httpMetricsMiddleware(app.get(MetricsService)),
      requestContextMiddleware(app.get(ClsService)),
      securityHeaders(config),
      corsMiddleware(config),
      auditAdmission(app.get(AuditService)),
      bodyParser(OWN_BODY_PARSING),
    ]),
  );
  serveOidcAhead(app, config);

  app.useGlobalFilters(new ProblemDetailsFilter(app.get(AuditService)));
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app);
  app.enableShutdownHooks();
}

/**
 * The OAuth 2.0 / OIDC authorization server (oidc-provider, a Koa application) is served straight
 * from the HTTP server, ahead of Express. The engine routes its own paths and parses its own
 * bodies, so Express's router and middleware chain would do nothing for it but cost as much
 * again as the engine's own work on each token. Its answers get what every answer gets: the
 * request id, the async context, the metrics, the security headers, the CORS allowlist, and a
 * rate limit of its own (`EngineRateLimiter`).
 * Gatehouse's login and consent pages under /oidc (`/oidc/interaction`, `/oidc/assets`) stay
 * with Express and the OAuth module's controller.
 */
function serveOidcAhead(app: NestExpressApplication, config: AppConfig): void {
  const engine = app.get(OidcProviderService);
  const cls = app.get(ClsService);
  const time = httpTimer(app.get(MetricsService));
  const headers = securityHeaderSets(config).oidc;
  const cors = corsMiddleware(config);
  const audit = app.get(AuditService);
  const limiter = new EngineRateLimiter(config, app.get(RateLimitStorage), audit);
  // The address as Express's `req.ip` works it out, under the same TRUST_PROXY setting.
  const trust = app.getHttpAdapter().getInstance().get('trust proxy fn') as (
    address: string,
    hop: number,
  ) => boolean;
  const logger = new Logger('OidcProvider');
  const server: Server = app.getHttpServer();
  const express = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const engineUrl = engine.engineUrl(req.url);
    if (engineUrl === null) {
      for (const listener of express) listener.call(server, req, res);
      return;
    }
    assignRequestId(req, res);
    time(req, res, () => '/oidc');
    headers(res);
    if (refusedWhileAuditBehind(audit, req, res)) return;
    cors(req, res, () => {
      let ip: string | undefined;
      const address = () => (ip ??= proxyaddr(req, trust));
      // With limits off (benchmarks) the engine is served synchronously, as before.
      if (!limiter.enabled) return serveEngine(req, res, engineUrl, address);
      limiter.admit(req, res, engineUrl, address()).then(
        (admitted) => {
          if (admitted) serveEngine(req, res, engineUrl, address);
        },
        (error: unknown) => fail(req, res, engineUrl, error),
      );
    });
  });

  const serveEngine = (
    req: IncomingMessage,
    res: ServerResponse,
    engineUrl: string,
    address: () => string,
  ): void =>
    openRequestContext(cls, req, clientInfoFor(req, address), () => {
      // Outside Express nothing else would catch a throw: it would end the process.
      try {
        engine.handle(req, res, engineUrl);
      } catch (error) {
        fail(req, res, engineUrl, error);
      }
    });
  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    engineUrl: string,
    error: unknown,
  ): void => {
    // The path only, as the exception filter logs it: a query string may carry a login hint,
    // an ID token hint or a request object.
    logger.error(
      `Unhandled error on ${req.method} /oidc${engineUrl.split('?', 1)[0]}`,
      error instanceof Error ? error.stack : String(error),
    );
    if (!res.headersSent) sendProblem(res, toAppError(error).appError, requestIdOf(req));
  };
}

/**
 * The document is built on the first request for it, not at start: walking every route's
 * metadata is the slowest part of booting, and most instances never serve /docs.
 */
function setupOpenApi(app: NestExpressApplication): void {
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Gatehouse')
        .setDescription(
          'Multi-tenant authentication and authorization. Errors are RFC 9457 problem details with a stable `code`.',
        )
        .setVersion('1')
        .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
        // Relative: the instance that serves the document is the one it describes.
        .addServer('/')
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'apiKey')
        .build(),
    );
  SwaggerModule.setup('docs', app, () => documentContract(documentIdempotency(document())), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
