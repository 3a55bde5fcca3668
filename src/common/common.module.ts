import { Global, Module } from '@nestjs/common';
import { InvalidationBus } from './cache/invalidation-bus';
import { SecretBox } from './crypto/secret-box';
import { RedisService } from './redis/redis.service';

/** Infrastructure every feature may use: Redis, cross-instance cache invalidation, secrets at rest. */
@Global()
@Module({
  providers: [RedisService, InvalidationBus, SecretBox],
  exports: [RedisService, InvalidationBus, SecretBox],
})
export class CommonModule {}
