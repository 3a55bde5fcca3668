import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  calculateJwkThumbprint,
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import type { DataSource, Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { SecretBox } from '../../common/crypto/secret-box';
import { withDatabaseLock } from '../../database/database-lock';
import { SigningKey, type SigningAlgorithm } from './entities/signing-key.entity';

const SEAL_CONTEXT = 'signing-key';
/** How often an instance re-reads the key table, so a rotation made elsewhere reaches it. */
const RELOAD_INTERVAL_MS = 60_000;
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
      await this.retireActiveKeys();
      await this.createKey();
    });
    await this.reload();
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
   * Makes a new active key and retires the old one. Retired keys stay in the JWKS until every
   * token they can have signed has expired.
   */
  async rotate(): Promise<string> {
    const kid = await withDatabaseLock(this.dataSource, 'signing-keys', async () => {
      await this.retireActiveKeys();
      return this.createKey();
    });
    await this.reload();
    return kid;
  }

  private async retireActiveKeys(): Promise<void> {
    const now = new Date();
    // ID tokens live up to an hour; access tokens as configured.
    const longestLifetimeMs =
      Math.max(this.config.tokens.accessTokenTtl, 3600) * 1000 + PUBLISH_MARGIN_MS;
    await this.repository.update(
      { status: 'active' },
      {
        status: 'retired',
        retiredAt: now,
        publishUntil: new Date(now.getTime() + longestLifetimeMs),
      },
    );
  }

  async reload(): Promise<void> {
    const rows = await this.repository.find({ order: { createdAt: 'ASC' } });
    const now = Date.now();
    const keys = new Map<string, LoadedKey>();
    let active: LoadedKey | null = null;
    for (const row of rows) {
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

  private async load(row: SigningKey): Promise<LoadedKey> {
    const privateJwk = JSON.parse(
      this.secretBox.open(row.privateJwkEncrypted, SEAL_CONTEXT),
    ) as JWK;
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

  private async createKey(): Promise<string> {
    const alg = this.algorithm;
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
    await this.repository.insert({
      id: kid,
      alg,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      privateJwkEncrypted: this.secretBox.seal(JSON.stringify(privateJwk), SEAL_CONTEXT),
      status: 'active',
      createdAt: new Date(),
      retiredAt: null,
      publishUntil: null,
    });
    this.logger.log(`Created ${alg} signing key ${kid}`);
    return kid;
  }
}
