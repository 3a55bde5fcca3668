import type * as client from 'openid-client';
import {
  authorizationUrl,
  type OidcClients,
  redeemAuthorizationCode,
} from '../federation/oidc-clients.service';
import { getJson } from '../../common/outbound/upstream-http';
import { emailClaim, nameClaim, subjectClaim } from './profile-claims';
import { ProviderAnswerError } from './provider-answer-error';
import type {
  ProviderCallback,
  ProviderProfile,
  ProviderStart,
  SocialProvider,
} from './social-provider';

export interface GitHubSettings {
  clientId: string;
  clientSecret: string;
  /** Web origin: https://github.com */
  url: string;
  /** REST API: https://api.github.com */
  apiUrl: string;
}

const API_HEADERS = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
  'user-agent': 'Gatehouse',
};

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub is OAuth 2.0 without OIDC: no ID token, no nonce. The code is redeemed through
 * openid-client (state and PKCE checked), then the user comes from `/user` (its numeric `id`
 * is the subject: logins can be renamed) and the email from `/user/emails`: only the primary
 * address counts, and it is verified only when GitHub says so.
 */
export class GitHubSocialProvider implements SocialProvider {
  readonly name = 'github';
  private readonly configuration: client.Configuration;
  private readonly fetchFn: client.CustomFetch;

  constructor(
    private readonly settings: GitHubSettings,
    clients: OidcClients,
  ) {
    this.configuration = clients.oauth2({
      issuer: settings.url,
      authorizationEndpoint: `${settings.url}/login/oauth/authorize`,
      tokenEndpoint: `${settings.url}/login/oauth/access_token`,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      clientAuth: 'client_secret_post',
    });
    this.fetchFn = clients.fetch();
  }

  authorizationUrl(start: ProviderStart): Promise<URL> {
    return authorizationUrl(this.configuration, {
      redirectUri: start.redirectUri,
      scope: 'read:user user:email',
      state: start.state,
      codeVerifier: start.codeVerifier,
    });
  }

  async complete(callback: ProviderCallback): Promise<ProviderProfile> {
    const tokens = await redeemAuthorizationCode(this.configuration, callback.callbackUrl, {
      state: callback.state,
      codeVerifier: callback.codeVerifier,
    });
    const [user, emails] = await Promise.all([
      getJson(this.fetchFn, `${this.settings.apiUrl}/user`, tokens.access_token, API_HEADERS),
      getJson(
        this.fetchFn,
        `${this.settings.apiUrl}/user/emails`,
        tokens.access_token,
        API_HEADERS,
      ),
    ]);
    if (typeof user !== 'object' || user === null) throw new ProviderAnswerError('invalid_profile');
    const { id, name, login } = user as Record<string, unknown>;
    const subject = subjectClaim(id);
    if (subject === null) throw new ProviderAnswerError('invalid_profile');

    const primary = (Array.isArray(emails) ? (emails as unknown[]) : []).find(
      (entry): entry is GitHubEmail =>
        typeof entry === 'object' &&
        entry !== null &&
        (entry as GitHubEmail).primary === true &&
        typeof (entry as GitHubEmail).email === 'string',
    );
    const email = emailClaim(primary?.email);
    return {
      subject,
      email,
      emailVerified: email !== null && primary?.verified === true,
      name: nameClaim(name) ?? nameClaim(login),
    };
  }
}
