import { Global, Module, type Provider } from '@nestjs/common';
import { ClsService, ClsServiceManager } from 'nestjs-cls';
import { InvalidationBus } from './cache/invalidation-bus';
import { TenantScope } from './database/tenant-scope';
import { SecretBox } from './crypto/secret-box';
import { OutboundHttp } from './outbound/outbound-http';
import { RedisService, redisProvider } from './redis/redis.service';

/**
 * The request context (AsyncLocalStorage). Provided directly rather than through
 * `ClsModule.forRoot`: that also registers a global guard and a global interceptor, no-ops when
 * not mounted, but an interceptor of any kind puts every request through Nest's RxJS
 * interceptor chain, a cost every route would pay (docs/performance.md). The context is opened by
 * `requestContextMiddleware` instead.
 */
const requestContext: Provider = {
  provide: ClsService,
  useValue: ClsServiceManager.getClsService(),
};

/**
 * Infrastructure every feature may use: the request context and its tenant scope, Redis, cross-instance cache
 * invalidation, secrets at rest, the outbound HTTP client.
 */
@Global()
@Module({
  providers: [requestContext, TenantScope, redisProvider, InvalidationBus, SecretBox, OutboundHttp],
  exports: [ClsService, TenantScope, RedisService, InvalidationBus, SecretBox, OutboundHttp],
})
export class CommonModule {}
