import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditController } from './audit.controller';
import { AuditChainKeys } from './audit-chain-keys';
import { AuditChainVerifierService } from './audit-chain-verifier.service';
import { AuditVerifyLimiter } from './audit-verify-limiter';
import { AuditLogService } from './audit-log.service';
import { AuditService } from './audit.service';
import { AuditCheckpoint } from './entities/audit-checkpoint.entity';
import { AuditEvent } from './entities/audit-event.entity';

/** Global: every module records through `AuditService.record()`. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent, AuditCheckpoint])],
  controllers: [AuditController],
  providers: [
    AuditService,
    AuditLogService,
    AuditChainKeys,
    AuditChainVerifierService,
    AuditVerifyLimiter,
  ],
  exports: [AuditService],
})
export class AuditModule {}
