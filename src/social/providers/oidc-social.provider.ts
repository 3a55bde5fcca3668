import * as client from 'openid-client';
import {
  authorizationUrl,
  type OidcClients,
  type OidcClientSettings,
  redeemAuthorizationCode,
} from '../federation/oidc-clients.service';
import { emailClaim, nameClaim, subjectClaim, verifiedClaim } from './profile-claims';
import { ProviderAnswerError } from './provider-answer-error';
import type {
  ProviderCallback,
  ProviderProfile,
  ProviderStart,
  SocialProvider,
} from './social-provider';

/**
 * Google and every OIDC_PROVIDERS entry: discovery of the configured issuer, code flow with
 * PKCE S256 and a nonce, and the identity taken from the validated ID token (the userinfo
 * endpoint is asked only when the ID token carries no email; its `sub` must match).
 */
export class OidcSocialProvider implements SocialProvider {
  constructor(
    readonly name: string,
    private readonly settings: OidcClientSettings,
    private readonly clients: OidcClients,
  ) {}

  async authorizationUrl(start: ProviderStart): Promise<URL> {
    const configuration = await this.clients.discover(this.settings);
    return authorizationUrl(configuration, {
      redirectUri: start.redirectUri,
      scope: 'openid email profile',
      state: start.state,
      nonce: start.nonce,
      codeVerifier: start.codeVerifier,
    });
  }

  async complete(callback: ProviderCallback): Promise<ProviderProfile> {
    const configuration = await this.clients.discover(this.settings);
    const tokens = await redeemAuthorizationCode(configuration, callback.callbackUrl, {
      state: callback.state,
      codeVerifier: callback.codeVerifier,
      nonce: callback.nonce,
    });
    const claims = tokens.claims();
    const subject = subjectClaim(claims?.sub);
    if (!claims || subject === null) throw new ProviderAnswerError('invalid_profile');

    let source: Record<string, unknown> = claims;
    if (emailClaim(claims.email) === null && configuration.serverMetadata().userinfo_endpoint) {
      source = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
    }
    const email = emailClaim(source.email);
    return {
      subject,
      email,
      emailVerified: email !== null && verifiedClaim(source.email_verified),
      name: nameClaim(source.name ?? claims.name),
    };
  }
}
