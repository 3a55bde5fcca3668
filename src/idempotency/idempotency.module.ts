import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './entities/idempotency-key.entity';
import { IdempotencyKeyStore } from './idempotency-key.store';

/**
 * `Idempotency-Key` on authenticated POSTs. Global because the interceptor is instantiated in
 * the module of each controller it is bound to (`bindIdempotentRoutes`), and finds its store
 * there.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([IdempotencyKey])],
  providers: [IdempotencyKeyStore],
  exports: [IdempotencyKeyStore],
})
export class IdempotencyModule {}
