import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { WINSTON_MODULE_NEST_PROVIDER } from 'nest-winston';
import { ClsService } from 'nestjs-cls';
import { AuditService } from './audit/audit.service';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter';
import { bodyParser } from './common/middleware/body-parsers';
import { requestContextMiddleware } from './common/middleware/request-context.middleware';
import { corsMiddleware } from './common/middleware/cors';
import { requestIdMiddleware } from './common/middleware/request-id.middleware';
import { securityHeaders } from './common/middleware/security-headers';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { AppConfig } from './config/app-config';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
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

  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.use(requestContextMiddleware(app.get(ClsService)));
  app.use(securityHeaders(config));
  app.use(corsMiddleware(config));
  app.use(bodyParser(OWN_BODY_PARSING));
  // The OAuth 2.0 / OIDC authorization server, before Nest's routes; its login and consent
  // pages (/oidc/interaction, /oidc/assets) fall through to the OAuth module's controller.
  app.use('/oidc', app.get(OidcProviderService).handler());

  app.useGlobalFilters(new ProblemDetailsFilter(app.get(AuditService)));
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app, config);
  app.enableShutdownHooks();
}

/**
 * The document is built on the first request for it, not at start: walking every route's
 * metadata is the slowest part of booting, and most instances never serve /docs.
 */
function setupOpenApi(app: NestExpressApplication, config: AppConfig): void {
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Gatehouse')
        .setDescription(
          'Multi-tenant authentication and authorization. Errors are RFC 9457 problem details with a stable `code`.',
        )
        .setVersion('1')
        .addServer(config.http.publicUrl)
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'apiKey')
        .build(),
    );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
