import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import type { Principal } from '../principal/principal';
import { SigningKeyDto } from './dto/signing-key.dto';
import { KeyStoreService } from './key-store.service';

/** How often each instance asks whether the active key is due (the rotation itself is once). */
const SCHEDULE_CHECK_MS = 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

/**
 * Signing-key rotation as operators use it: on demand and on a schedule
 * (`SIGNING_KEY_ROTATION_DAYS`), and revocation of a compromised key. Every change is audited
 * and reaches the other instances through the key store's reload.
 */
@Injectable()
export class SigningKeyRotationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeyRotationService.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly keyStore: KeyStoreService,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.security.signingKeyRotationDays === 0) return;
    const check = () => {
      this.rotateIfDue().catch((error: unknown) =>
        this.logger.warn(`Scheduled key rotation failed: ${String(error)}`),
      );
    };
    check();
    this.timer = setInterval(check, SCHEDULE_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async rotate(auth: Principal): Promise<SigningKeyDto> {
    const key = await this.keyStore.rotate();
    this.audit.record({
      action: 'platform.signing_key.rotated',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'signing_key', id: key.id },
      metadata: { alg: key.alg, reason: 'manual' },
    });
    return SigningKeyDto.from(key);
  }

  /**
   * Revokes a key at once. Revoking the active key makes a new one first, in the same
   * transaction: refusing (409) would leave the compromised key signing while the operator
   * works out a second call, and there is never a moment without a key to sign with.
   */
  async revoke(auth: Principal, kid: string): Promise<void> {
    const result = kid.length <= 64 ? await this.keyStore.revoke(kid) : null;
    if (!result) throw AppError.notFound('No such signing key.');
    if (result.replacement) {
      this.audit.record({
        action: 'platform.signing_key.rotated',
        outcome: 'success',
        tenantId: auth.tenant.id,
        target: { type: 'signing_key', id: result.replacement.id },
        metadata: { alg: result.replacement.alg, reason: 'revocation', replaces: kid },
      });
    }
    this.audit.record({
      action: 'platform.signing_key.retired',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'signing_key', id: kid },
      metadata: { alg: result.revoked.alg, wasActive: result.replacement !== null },
    });
  }

  /** Rotates when the active key is older than `SIGNING_KEY_ROTATION_DAYS`; once per cluster. */
  async rotateIfDue(): Promise<SigningKeyDto | null> {
    const days = this.config.security.signingKeyRotationDays;
    if (days === 0) return null;
    const key = await this.keyStore.rotateIfCreatedBefore(new Date(Date.now() - days * DAY_MS));
    if (!key) return null;
    this.logger.log(`Rotated the signing key on schedule: ${key.id}`);
    this.audit.record({
      action: 'platform.signing_key.rotated',
      outcome: 'success',
      tenantId: null,
      actor: { type: 'system', id: null },
      target: { type: 'signing_key', id: key.id },
      metadata: { alg: key.alg, reason: 'schedule', days },
    });
    return SigningKeyDto.from(key);
  }
}
