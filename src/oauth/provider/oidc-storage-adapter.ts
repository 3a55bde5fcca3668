import { Injectable } from '@nestjs/common';
import { type Adapter, type ClientMetadata, errors } from 'oidc-provider';
import { KeyStoreService } from '../../auth/keys/key-store.service';
import { AccessTokenService } from '../../auth/tokens/access-token.service';
import type { OAuthClient } from '../entities/oauth-client.entity';
import { OAuthClientDirectory } from '../oauth-client-directory.service';
import { OIDC_SCOPES } from '../oauth-scopes';
import { OidcAuditListener } from './oidc-audit-listener';
import { AlreadyConsumedError, OidcArtifactStore } from './oidc-artifact-store.service';

function isJwt(value: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);
}

/**
 * oidc-provider's storage adapter: clients come from Gatehouse's client directory, every other
 * artefact (codes, refresh tokens, sessions, grants, interactions) from `OidcArtifactStore`.
 */
@Injectable()
export class OidcStorageAdapter {
  constructor(
    private readonly store: OidcArtifactStore,
    private readonly clients: OAuthClientDirectory,
    private readonly accessTokens: AccessTokenService,
    private readonly keyStore: KeyStoreService,
    private readonly events: OidcAuditListener,
  ) {}

  /** The adapter for one of the engine's models (`Client`, `AccessToken`, `Grant`, …). */
  forModel(model: string): Adapter {
    const store = this.store;
    const clients = this.clients;
    const accessTokens = this.accessTokens;
    const events = this.events;
    const metadataOf = (client: OAuthClient) => this.clientMetadata(client);
    return {
      async upsert(id, payload, expiresIn) {
        await store.upsert(model, id, payload, expiresIn);
      },
      async find(id) {
        if (model === 'Client') {
          const client = await clients.findByClientId(id);
          return client ? metadataOf(client) : undefined;
        }
        if (model === 'AccessToken') {
          // Access tokens are JWTs, never stored by value. The userinfo endpoint presents one:
          // resolve it to the record kept under its `jti` (which its grant's revocation
          // deletes), once the signature, issuer, audience and expiry have been verified.
          if (!isJwt(id)) return undefined;
          let jti: string;
          try {
            jti = (await accessTokens.verify(id)).jti;
          } catch {
            return undefined;
          }
          return store.find(model, jti);
        }
        return store.find(model, id);
      },
      async findByUid(uid) {
        return store.findByUid(model, uid);
      },
      findByUserCode() {
        return Promise.resolve(undefined);
      },
      async consume(id) {
        try {
          await store.consume(model, id);
        } catch (error) {
          if (!(error instanceof AlreadyConsumedError)) throw error;
          // A concurrent twin redeemed it first: the same as a replay, the grant dies.
          if (error.grantId) {
            await store.revokeGrant(error.grantId);
            await events.recordReplay(error.clientId, error.grantId);
          }
          throw new errors.InvalidGrant('grant request is invalid');
        }
      },
      async destroy(id) {
        await store.destroy(model, id);
      },
      async revokeByGrantId(grantId) {
        await store.revokeByGrantId(model, grantId);
      },
    };
  }

  /** A Gatehouse client as oidc-provider metadata. The "secret" is the stored SHA-256. */
  private clientMetadata(client: OAuthClient): ClientMetadata {
    const confidential = client.type === 'confidential';
    const code = client.grantTypes.includes('authorization_code');
    const oidcScopes = client.scopes.filter((scope) =>
      (OIDC_SCOPES as readonly string[]).includes(scope),
    );
    return {
      client_id: client.clientId,
      ...(confidential && client.secretHash ? { client_secret: client.secretHash } : {}),
      client_name: client.name,
      application_type: 'web',
      grant_types: [...client.grantTypes],
      response_types: code ? ['code'] : [],
      // Query only: form_post would need an inline script, which the pages' CSP forbids.
      response_modes: code ? ['query'] : [],
      redirect_uris: [...client.redirectUris],
      post_logout_redirect_uris: [...client.postLogoutRedirectUris],
      // The OpenID scopes it may ask for (none listed: the grant refuses them all); API scopes
      // are checked by the resource server.
      ...(oidcScopes.length > 0 ? { scope: oidcScopes.join(' ') } : {}),
      token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
      id_token_signed_response_alg: this.keyStore.algorithm,
    };
  }
}
