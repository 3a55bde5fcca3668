import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { AccessTokenService } from '../tokens/access-token.service';
import type { AccessTokenClaims } from '../tokens/access-token-claims';
import type { Principal } from './principal';
import { PrincipalService } from './principal.service';

/**
 * Every way a caller can authenticate to `/v1`, in one place. Each credential type has its
 * own authenticator; this class only dispatches.
 */
@Injectable()
export class PrincipalResolver {
  private apiKeyAuthenticator: ((key: string) => Promise<Principal>) | null = null;
  private oauthAuthenticator: ((claims: AccessTokenClaims) => Promise<Principal>) | null = null;

  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly principals: PrincipalService,
  ) {}

  /** Set by the api-keys module, which depends on this one (not the other way round). */
  useApiKeyAuthenticator(authenticate: (key: string) => Promise<Principal>): void {
    this.apiKeyAuthenticator = authenticate;
  }

  /**
   * Set by the OAuth module for the tokens its authorization server issued (they carry
   * `client_id`): it checks their grant and builds a user principal limited by the scopes, or
   * a client principal for client credentials.
   */
  useOAuthAuthenticator(authenticate: (claims: AccessTokenClaims) => Promise<Principal>): void {
    this.oauthAuthenticator = authenticate;
  }

  async fromAccessToken(token: string): Promise<Principal> {
    const claims = await this.accessTokens.verify(token);
    if (claims.client_id !== undefined) {
      if (!this.oauthAuthenticator) throw AppError.invalidToken();
      return this.oauthAuthenticator(claims);
    }
    return this.principals.forUserToken(claims);
  }

  fromApiKey(key: string): Promise<Principal> {
    if (!this.apiKeyAuthenticator) throw AppError.invalidToken('API keys are not accepted.');
    return this.apiKeyAuthenticator(key);
  }
}
