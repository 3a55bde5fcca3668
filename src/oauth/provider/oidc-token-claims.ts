import { Injectable } from '@nestjs/common';
import {
  type AccessToken,
  type AdapterPayload,
  type ClientCredentials,
  errors,
  type JWTStructured,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider';
import { AppConfig } from '../../config/app-config';
import { OAuthClientDirectory } from '../oauth-client-directory.service';
import { ACCESS_TOKEN_OIDC_SCOPES, API_SCOPES } from '../oauth-scopes';
import { OidcArtifactStore } from './oidc-artifact-store.service';

export type AccessTokenSigning = NonNullable<ResourceServer['jwt']>['sign'];

type AccessTokenRecord = AdapterPayload & { grantId: string };

/**
 * What goes into the engine's access tokens: Gatehouse's API as their one resource server, the
 * client's tenant (`tid`), the scopes a client may have, and a record of each user token so
 * that revoking its grant ends it.
 */
@Injectable()
export class OidcTokenClaims {
  constructor(
    private readonly config: AppConfig,
    private readonly clients: OAuthClientDirectory,
    private readonly store: OidcArtifactStore,
  ) {}

  async resourceServer(
    ctx: KoaContextWithOIDC,
    resource: string,
    clientId: string,
    sign: AccessTokenSigning,
  ): Promise<ResourceServer> {
    const client = await this.clients.findByClientId(clientId);
    if (resource !== this.config.tokens.audience || !client) throw new errors.InvalidTarget();
    const machine = ctx.oidc.params?.grant_type === 'client_credentials';
    const allowed = new Set<string>([...API_SCOPES, ...(machine ? [] : ACCESS_TOKEN_OIDC_SCOPES)]);
    return {
      scope: client.scopes.filter((scope) => allowed.has(scope)).join(' '),
      audience: this.config.tokens.audience,
      accessTokenTTL: this.config.tokens.accessTokenTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign },
    };
  }

  async extraTokenClaims(clientId: string): Promise<{ tid: string }> {
    const client = await this.clients.findByClientId(clientId);
    if (!client) throw new errors.InvalidClient('client not found');
    return { tid: client.tenantId };
  }

  /**
   * Runs as each JWT access token is minted. A user's token is recorded under its `jti` with
   * its grant, so revoking the grant (code or refresh-token replay, revocation) ends the token,
   * and the userinfo endpoint can find it. A client-credentials token without a `scope`
   * parameter gets the client's API scopes (RFC 6749 §3.3: a pre-defined default).
   */
  async onJwtAccessToken(
    token: AccessToken | ClientCredentials,
    jwt: JWTStructured,
  ): Promise<void> {
    const payload = jwt.payload as Record<string, unknown>;
    if (token.kind === 'ClientCredentials') {
      if (!token.scope) {
        const client = await this.clients.findByClientId(token.clientId ?? '');
        const scope = (client?.scopes ?? [])
          .filter((name) => (API_SCOPES as readonly string[]).includes(name))
          .join(' ');
        if (scope) {
          token.scope = scope;
          payload.scope = scope;
        }
      }
      return;
    }
    const accessToken = token;
    if (!accessToken.grantId) return;
    const exp = Number(payload.exp);
    const record: AccessTokenRecord = {
      jti: String(payload.jti),
      kind: 'AccessToken',
      iat: Number(payload.iat),
      exp,
      accountId: accessToken.accountId,
      clientId: accessToken.clientId,
      grantId: accessToken.grantId,
      scope: accessToken.scope,
      claims: accessToken.claims,
      sessionUid: accessToken.sessionUid,
      expiresWithSession: accessToken.expiresWithSession,
      sid: accessToken.sid,
      gty: accessToken.gty,
    };
    await this.store.upsert(
      'AccessToken',
      String(record.jti),
      record,
      Math.max(1, exp - Math.floor(Date.now() / 1000)),
    );
  }
}
