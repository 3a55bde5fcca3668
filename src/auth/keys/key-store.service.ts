import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { type CryptoKey, importJWK, type JWK } from 'jose';
import { type DataSource, type EntityManager, Not, type Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { InvalidationBus } from '../../common/cache/invalidation-bus';
import { SecretBox } from '../../common/crypto/secret-box';
import { withDatabaseLock } from '../../database/database-lock';
import { TransactionRunner } from '../../database/transaction-runner';
import { SigningKey, type SigningAlgorithm } from './entities/signing-key.entity';
import { generateSigningKey, type SigningKeyMaterial } from './signing-key-material';

export const SIGNING_KEY_SEAL_CONTEXT = 'signing-key';
/**
 * How often an instance re-reads the key table (one small query). It bounds how long a key
 * revoked elsewhere keeps verifying here when the invalidation bus cannot deliver (no Redis,
 * or Redis down): SPEC wants a revoked key refused within 10 s on every instance.
 */
const RELOAD_INTERVAL_MS = 5_000;
/** An unknown `kid` may trigger a re-read at most this often (a forged kid must not DoS the DB). */
const UNKNOWN_KID_RELOAD_MS = 10_000;
/** Retired keys stay published this long past the longest token lifetime they may have signed. */
const PUBLISH_MARGIN_MS = 5 * 60_000;

export interface LoadedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  readonly active: boolean;
}

/**
 * Gatehouse's asymmetric signing keys, shared by every issuer in the instance (login tokens,
 * OAuth tokens, ID tokens), so there is one JWKS. Keys are made on first start and kept in the
 * database with the private half sealed by `SecretBox`.
 */
@Injectable()
export class KeyStoreService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeyStoreService.name);
  private keys = new Map<string, LoadedKey>();
  private active: LoadedKey | null = null;
  private signature = '';
  private lastUnknownKidReload = 0;
  private reloadTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly secretBox: SecretBox,
    private readonly bus: InvalidationBus,
    private readonly transactions: TransactionRunner,
    @InjectRepository(SigningKey) private readonly repository: Repository<SigningKey>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** The algorithm of asymmetric keys: the access-token algorithm, or ES256 when that is HS256. */
  get algorithm(): SigningAlgorithm {
    return this.config.tokens.alg === 'HS256' ? 'ES256' : this.config.tokens.alg;
  }

  async onModuleInit(): Promise<void> {
    await withDatabaseLock(this.dataSource, 'signing-keys', async () => {
      const existing = await this.repository.findOne({
        where: { status: 'active', alg: this.algorithm },
      });
      if (existing) return;
      // First start, or the operator changed JWT_ALG: keys of another algorithm only verify now.
      await this.replaceActiveKey();
    });
    await this.reload();
    // A rotation or revocation on another instance: re-read now rather than at the next tick.
    this.bus.on('signing-key', () => {
      this.reload().catch((error: unknown) =>
        this.logger.warn(`Key reload failed: ${String(error)}`),
      );
    });
    this.reloadTimer = setInterval(() => {
      this.reload().catch((error: unknown) =>
        this.logger.warn(`Key reload failed: ${String(error)}`),
      );
    }, RELOAD_INTERVAL_MS);
    this.reloadTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.reloadTimer) clearInterval(this.reloadTimer);
  }

  activeKey(): LoadedKey {
    if (!this.active) throw new Error('No active signing key');
    return this.active;
  }

  /**
   * Which keys are loaded and which is active, as one string that changes with either: issuers
   * that build on the whole key set compare it on each request to notice a rotation, here or on
   * another instance, so it is worked out when the keys are loaded rather than then.
   */
  get keySetSignature(): string {
    return this.signature;
  }

  /** Every loaded key, active and retired, for issuers that take a whole key set. */
  allKeys(): LoadedKey[] {
    return [...this.keys.values()];
  }

  /** Whether `kid` still verifies here: a revoked or expired key is no longer loaded. */
  isLoaded(kid: string): boolean {
    return this.keys.has(kid);
  }

  /** Looks a key up by `kid`; an unknown one causes at most one re-read every few seconds. */
  async findKey(kid: string): Promise<LoadedKey | undefined> {
    const key = this.keys.get(kid);
    if (key) return key;
    const now = Date.now();
    if (now - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_MS) return undefined;
    this.lastUnknownKidReload = now;
    await this.reload();
    return this.keys.get(kid);
  }

  /** The public keys a verifier needs now: the active ones and those retired recently. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].map((key) => key.publicJwk) };
  }

  /**
   * Makes a new active key and retires the old one; answers the new key's row. Retired keys stay
   * in the JWKS until every token they can have signed has expired.
   */
  async rotate(): Promise<SigningKey> {
    const key = await this.replaceActiveKey();
    if (!key) throw new Error('Unconditional rotation made no key');
    await this.afterChange();
    return key;
  }

  /**
   * Rotates when the active key was made before `createdBefore`. Instances that run this
   * together rotate once: only the one whose conditional retire of that key changed a row
   * inserts the new key.
   */
  async rotateIfCreatedBefore(createdBefore: Date): Promise<SigningKey | null> {
    const current = await this.repository.findOne({
      where: { status: 'active', alg: this.algorithm },
    });
    if (current && current.createdAt.getTime() >= createdBefore.getTime()) return null;
    const key = await this.replaceActiveKey({ active: current?.id ?? null });
    if (key) await this.afterChange();
    return key;
  }

  /**
   * Withdraws a key at once (a compromise): it leaves the JWKS and verifies nothing, here at
   * once and on other instances within seconds. Revoking the active key first makes a new one,
   * in the same transaction, so that tokens can still be issued. Null when there is no such key
   * (or it was revoked already).
   */
  async revoke(
    kid: string,
  ): Promise<{ revoked: SigningKey; replacement: SigningKey | null } | null> {
    const { revoked, replacement } = await this.transactions.run(async (manager) => {
      const row = await manager.findOne(SigningKey, { where: { id: kid, status: Not('revoked') } });
      if (!row) return { revoked: null, replacement: null };
      const fresh = row.status === 'active' ? await this.insertKey(manager) : null;
      if (fresh) await this.retireActive(manager, fresh.id);
      const now = new Date();
      await manager.update(
        SigningKey,
        { id: kid },
        { status: 'revoked', retiredAt: row.retiredAt ?? now, publishUntil: now },
      );
      return { revoked: { ...row, status: 'revoked' as const }, replacement: fresh };
    });
    if (!revoked) return null;
    await this.afterChange();
    return { revoked, replacement };
  }

  async reload(): Promise<void> {
    const rows = await this.repository.find({ order: { createdAt: 'ASC' } });
    const now = Date.now();
    const keys = new Map<string, LoadedKey>();
    let active: LoadedKey | null = null;
    for (const row of rows) {
      if (row.status === 'revoked') continue;
      if (row.status === 'retired' && (row.publishUntil?.getTime() ?? 0) <= now) continue;
      const cached = this.keys.get(row.id);
      const key =
        cached && cached.active === (row.status === 'active') ? cached : await this.load(row);
      keys.set(key.kid, key);
      if (key.active && key.alg === this.algorithm) active = key;
    }
    this.keys = keys;
    this.active = active;
    this.signature = [...keys.values()].map((key) => `${key.kid}:${key.active ? 1 : 0}`).join(',');
  }

  private async afterChange(): Promise<void> {
    await this.reload();
    this.bus.publish('signing-key', '*');
  }

  /**
   * Inserts a new active key and retires the others, in one transaction so that readers always
   * see an active key. With `onlyIf`, only when `onlyIf.active` is still the active key (null:
   * when there is none); that condition is how concurrent instances agree on one rotation.
   */
  private async replaceActiveKey(onlyIf?: { active: string | null }): Promise<SigningKey | null> {
    const material = await generateSigningKey(this.algorithm);
    return this.transactions.run(async (manager) => {
      if (onlyIf?.active) {
        const { affected } = await manager.update(
          SigningKey,
          { id: onlyIf.active, status: 'active' },
          this.retirement(),
        );
        if (!affected) return null;
      } else if (onlyIf) {
        const where = { status: 'active' as const, alg: this.algorithm };
        if (await manager.findOne(SigningKey, { where })) return null;
      }
      const key = await this.insertKey(manager, material);
      await this.retireActive(manager, key.id);
      return key;
    });
  }

  private async retireActive(manager: EntityManager, except: string): Promise<void> {
    await manager.update(SigningKey, { status: 'active', id: Not(except) }, this.retirement());
  }

  private retirement(): Pick<SigningKey, 'status' | 'retiredAt' | 'publishUntil'> {
    const now = new Date();
    // ID tokens live up to an hour; access tokens as configured.
    const longestLifetimeMs =
      Math.max(this.config.tokens.accessTokenTtl, 3600) * 1000 + PUBLISH_MARGIN_MS;
    return {
      status: 'retired',
      retiredAt: now,
      publishUntil: new Date(now.getTime() + longestLifetimeMs),
    };
  }

  private async load(row: SigningKey): Promise<LoadedKey> {
    const privateJwk = JSON.parse(
      this.secretBox.open(row.privateJwkEncrypted, SIGNING_KEY_SEAL_CONTEXT),
    ) as JWK;
    await this.resealIfOld(row);
    return {
      kid: row.id,
      alg: row.alg,
      publicKey: (await importJWK(row.publicJwk, row.alg)) as CryptoKey,
      privateKey: (await importJWK(privateJwk, row.alg)) as CryptoKey,
      publicJwk: { ...row.publicJwk },
      privateJwk,
      active: row.status === 'active',
    };
  }

  /** Sealed under an older key-encryption key: seal it with the newest, unless changed since. */
  private async resealIfOld(row: SigningKey): Promise<void> {
    const resealed = this.secretBox.reseal(row.privateJwkEncrypted, SIGNING_KEY_SEAL_CONTEXT);
    if (resealed === null) return;
    await this.repository.update(
      { id: row.id, privateJwkEncrypted: row.privateJwkEncrypted },
      { privateJwkEncrypted: resealed },
    );
  }

  private async insertKey(
    manager: EntityManager,
    material?: SigningKeyMaterial,
  ): Promise<SigningKey> {
    const { kid, publicJwk, privateJwk } = material ?? (await generateSigningKey(this.algorithm));
    const row = Object.assign(new SigningKey(), {
      id: kid,
      alg: this.algorithm,
      publicJwk,
      privateJwkEncrypted: this.secretBox.seal(
        JSON.stringify(privateJwk),
        SIGNING_KEY_SEAL_CONTEXT,
      ),
      status: 'active' as const,
      createdAt: new Date(),
      retiredAt: null,
      publishUntil: null,
    });
    await manager.insert(SigningKey, row);
    this.logger.log(`Created ${row.alg} signing key ${kid}`);
    return row;
  }
}
