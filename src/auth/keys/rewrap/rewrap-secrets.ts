/* eslint-disable no-restricted-syntax -- rewrapping secrets at rest is instance maintenance: it walks every tenant's rows, outside any request. */
import { type DataSource, type EntityManager, IsNull, MoreThan, Not } from 'typeorm';
import { TOTP_SECRET_CONTEXT } from '../../../account/mfa/second-factor.service';
import type { SecretBox } from '../../../common/crypto/secret-box';
import { IdempotencyKey } from '../../../idempotency/entities/idempotency-key.entity';
import { sealedAnswerContext } from '../../../idempotency/idempotency-key.store';
import { FederationState } from '../../../social/entities/federation-state.entity';
import { SsoConnection } from '../../../sso/entities/sso-connection.entity';
import { clientSecretContext } from '../../../sso/sso-connections.service';
import { User } from '../../../users/entities/user.entity';
import { SigningKey } from '../entities/signing-key.entity';
import { SIGNING_KEY_SEAL_CONTEXT } from '../key-store.service';

/** Per sealed column: how many values there are, and how many were sealed again. */
export type RewrapCounts = Record<string, { total: number; rewrapped: number }>;

const BATCH = 500;

/** A value that no configured key opens: the whole rewrap is rolled back, naming the row. */
export class RewrapError extends Error {
  override name = 'RewrapError';
}

/**
 * Seals every secret at rest again with the newest key-encryption key, in one transaction:
 * after it, the older keys can leave `KEY_ENCRYPTION_KEYS`. Values already sealed with the
 * newest key are left alone, so running it twice changes nothing the second time.
 */
export async function rewrapSecrets(dataSource: DataSource, box: SecretBox): Promise<RewrapCounts> {
  return dataSource.transaction(async (manager) => {
    const counts: RewrapCounts = {};
    const reseal = (column: string, id: string, sealed: string, context: string) => {
      const entry = (counts[column] ??= { total: 0, rewrapped: 0 });
      entry.total += 1;
      let resealed: string | null;
      try {
        resealed = box.reseal(sealed, context);
      } catch (error) {
        throw new RewrapError(`${column} of ${id}: ${(error as Error).message}`);
      }
      if (resealed !== null) entry.rewrapped += 1;
      return resealed;
    };

    for (const key of await manager.find(SigningKey)) {
      const resealed = reseal(
        'signing_keys.private_jwk_encrypted',
        key.id,
        key.privateJwkEncrypted,
        SIGNING_KEY_SEAL_CONTEXT,
      );
      if (resealed)
        await manager.update(SigningKey, { id: key.id }, { privateJwkEncrypted: resealed });
    }

    await forEachUserWithTotp(manager, async (user) => {
      const resealed = reseal(
        'users.mfa_secret',
        user.id,
        user.mfaSecret ?? '',
        TOTP_SECRET_CONTEXT,
      );
      if (resealed) await manager.update(User, { id: user.id }, { mfaSecret: resealed });
    });

    for (const connection of await manager.find(SsoConnection, {
      where: { oidc: Not(IsNull()) },
    })) {
      const oidc = connection.oidc;
      if (!oidc) continue;
      const resealed = reseal(
        'sso_connections.oidc.client_secret',
        connection.id,
        oidc.clientSecretSealed,
        clientSecretContext(connection.id),
      );
      if (resealed) {
        await manager.update(
          SsoConnection,
          { id: connection.id },
          { oidc: { ...oidc, clientSecretSealed: resealed } },
        );
      }
    }

    for (const state of await manager.find(FederationState)) {
      const resealed = reseal(
        'federation_states.sealed_data',
        state.id,
        state.sealedData,
        // The context FederationStateStore binds its values to.
        `federation-state:${state.purpose}:${state.stateHash}`,
      );
      if (resealed)
        await manager.update(FederationState, { id: state.id }, { sealedData: resealed });
    }

    // Idempotent answers holding a one-time secret: at most 10 minutes' worth.
    for (const key of await manager.find(IdempotencyKey, {
      where: { sealedResponse: Not(IsNull()) },
    })) {
      const resealed = reseal(
        'idempotency_keys.sealed_response',
        key.id,
        key.sealedResponse ?? '',
        sealedAnswerContext(key.id),
      );
      if (resealed)
        await manager.update(IdempotencyKey, { id: key.id }, { sealedResponse: resealed });
    }
    return counts;
  });
}

/** Users with a TOTP secret, a batch at a time by id: the table may be large. */
async function forEachUserWithTotp(
  manager: EntityManager,
  visit: (row: User) => Promise<void>,
): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await manager.find(User, {
      select: { id: true, mfaSecret: true },
      where: { mfaSecret: Not(IsNull()), id: MoreThan(after) },
      order: { id: 'ASC' },
      take: BATCH,
    });
    for (const row of rows) await visit(row);
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) return;
    after = last.id;
  }
}
