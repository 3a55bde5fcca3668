import { Injectable } from '@nestjs/common';
import { type EntityManager, In, IsNull, LessThan, MoreThan, MoreThanOrEqual } from 'typeorm';
import { newId } from '../../common/crypto/ids';
import { randomSecret, sha256Hex } from '../../common/crypto/tokens';
import { TenantScope } from '../../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { TransactionRunner } from '../../database/transaction-runner';
import { ActionToken, type ActionTokenPurpose } from '../entities/action-token.entity';

const MINUTE_MS = 60_000;

/** How long each kind of token lives. */
export const ACTION_TOKEN_TTL_MS: Readonly<Record<ActionTokenPurpose, number>> = {
  password_reset: 30 * MINUTE_MS,
  email_verification: 24 * 60 * MINUTE_MS,
  invite: 7 * 24 * 60 * MINUTE_MS,
  mfa_challenge: 5 * MINUTE_MS,
};

export interface TokenOwner {
  id: string;
  tenantId: string;
  email: string;
}

/**
 * Issues and spends the single-use tokens of the account lifecycle. A token is 256 random bits
 * (base64url); only its SHA-256 is stored, like every other high-entropy secret here. Found by
 * its hash, a token names its tenant; everything after that runs in the caller's tenant scope.
 */
@Injectable()
export class ActionTokenService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly scope: TenantScope,
    @InjectTenantRepository(ActionToken)
    private readonly tokens: TenantScopedRepository<ActionToken>,
  ) {}

  /**
   * A new token for the user. Mailed tokens supersede the unused ones of the same purpose: only
   * the latest link works. MFA challenges do not, or anyone holding the password could void
   * the owner's challenge by starting another. In the user's tenant, which need not be the
   * caller's (a platform admin inviting a new tenant's owner).
   */
  async issue(
    user: TokenOwner,
    purpose: ActionTokenPurpose,
    options: { ssoConnectionId?: string | null } = {},
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = randomSecret();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + ACTION_TOKEN_TTL_MS[purpose]);
    await this.scope.run(user.tenantId, () =>
      this.transactions.run(async (manager) => {
        const tokens = this.tokens.in(manager);
        if (purpose !== 'mfa_challenge') await this.spendUnused(tokens, user.id, [purpose], now);
        await tokens.insert(
          tokens.create({
            id: newId(),
            userId: user.id,
            purpose,
            tokenHash: sha256Hex(token),
            email: user.email,
            attempts: 0,
            ssoConnectionId: options.ssoConnectionId ?? null,
            createdAt: now,
            expiresAt,
            usedAt: null,
          }),
        );
      }),
    );
    return { token, expiresAt };
  }

  /** True when a token of this purpose was issued to the user within the last `windowMs`. */
  async issuedWithin(
    userId: string,
    purpose: ActionTokenPurpose,
    windowMs: number,
  ): Promise<boolean> {
    return this.tokens.exists({
      userId,
      purpose,
      createdAt: MoreThan(new Date(Date.now() - windowMs)),
    });
  }

  /** The live (unused, unexpired) token of one of these purposes, or null. Spends nothing. */
  async findLive(
    token: string,
    purposes: readonly ActionTokenPurpose[],
  ): Promise<ActionToken | null> {
    if (token.length === 0 || token.length > 128) return null;
    const row = await this.tokens
      .unscoped('a token is found by its hash, unique on the instance; its row names the tenant')
      .findOne({ where: { tokenHash: sha256Hex(token) } });
    if (!row || !purposes.includes(row.purpose)) return null;
    if (row.usedAt !== null || row.expiresAt <= new Date()) return null;
    return row;
  }

  /**
   * Spends a token found live. Exactly one of several concurrent redemptions sees `used_at`
   * still NULL; the others get false. Pass the transaction's manager to spend it together with
   * what it grants.
   */
  async spend(row: ActionToken, manager?: EntityManager): Promise<boolean> {
    const now = new Date();
    const tokens = manager ? this.tokens.in(manager) : this.tokens;
    const affected = await tokens.update(
      { id: row.id, usedAt: IsNull(), expiresAt: MoreThan(now) },
      { usedAt: now },
    );
    return affected === 1;
  }

  /** Spends every unused token of these purposes of a user (a password changed, MFA turned off). */
  async spendAll(
    userId: string,
    purposes: readonly ActionTokenPurpose[],
    manager?: EntityManager,
  ): Promise<void> {
    const tokens = manager ? this.tokens.in(manager) : this.tokens;
    await this.spendUnused(tokens, userId, purposes, new Date());
  }

  /**
   * Reserves one of an MFA challenge's `max` attempts before its code is checked: one
   * conditional UPDATE, so concurrent guesses with one token count one each and no more than
   * `max` are ever checked (review F14). False when the token is spent, expired or out of tries.
   */
  async reserveAttempt(row: ActionToken, max: number): Promise<boolean> {
    const now = new Date();
    const reserved = await this.tokens.update(
      { id: row.id, usedAt: IsNull(), expiresAt: MoreThan(now), attempts: LessThan(max) },
      { attempts: () => 'attempts + 1' },
    );
    return reserved === 1;
  }

  /** After a wrong code: a challenge whose attempts are all spent is spent with them. */
  async spendWhenExhausted(row: ActionToken, max: number): Promise<void> {
    await this.tokens.update(
      { id: row.id, usedAt: IsNull(), attempts: MoreThanOrEqual(max) },
      { usedAt: new Date() },
    );
  }

  private async spendUnused(
    tokens: TenantScopedRepository<ActionToken>,
    userId: string,
    purposes: readonly ActionTokenPurpose[],
    now: Date,
  ): Promise<void> {
    await tokens.update({ userId, purpose: In([...purposes]), usedAt: IsNull() }, { usedAt: now });
  }
}
