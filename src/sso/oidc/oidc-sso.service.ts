import { Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import { SecretBox } from '../../common/crypto/secret-box';
import { randomSecret, safeEqual, sha256Hex } from '../../common/crypto/tokens';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { isUpstreamUnavailable } from '../../common/outbound/upstream-http';
import { oidcShowsMfa } from '../idp-mfa';
import { type LoadedConnection, SsoConnectionsService } from '../sso-connections.service';
import { type AssertedIdentity, SsoLoginService } from '../sso-login.service';
import { assertedEmail } from '../asserted-email';
import { SsoRefusal } from '../sso-refusal';
import { SsoStateStore } from '../sso-state.store';
import { ssoUrls } from '../sso-urls';
import { OidcDiscovery } from './oidc-discovery';

/** State, nonce and PKCE verifier live server-side this long (SPEC §10: ≤ 10 min). */
export const OIDC_TRANSACTION_TTL_MS = 10 * 60_000;
export const OIDC_BINDING_COOKIE = 'gh_sso_oidc';
const TRANSACTION_CONTEXT = 'sso.oidc.transaction';
const UPSTREAM_UNAVAILABLE = 'upstream_unavailable';
const BINDING_PATTERN = /^[\w-]{43}$/;

interface OidcTransaction {
  connectionId: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** SHA-256 of the browser's binding cookie. */
  binding: string;
  /** The app's PKCE challenge for the one-time code; absent in transactions made before it. */
  codeChallenge?: string;
}

/**
 * Enterprise OIDC connections on openid-client 6: authorization code with PKCE S256, state and
 * nonce; the ID token is validated by openid-client (signature from the issuer's JWKS, iss,
 * aud, exp, nonce). The transaction is kept server-side, sealed, for at most 10 minutes, under
 * its state, and bound to the browser that started it by an httpOnly SameSite=Lax cookie: a
 * callback URL replayed in another browser is refused. The issuer is only ever the one the
 * admin configured.
 */
@Injectable()
export class OidcSsoService {
  constructor(
    private readonly config: AppConfig,
    private readonly connections: SsoConnectionsService,
    private readonly logins: SsoLoginService,
    private readonly store: SsoStateStore,
    private readonly secrets: SecretBox,
    private readonly discovery: OidcDiscovery,
  ) {}

  /** The IdP's authorization URL, and the browser binding to set as a cookie. */
  async startLogin(
    connectionId: string,
    redirectUri: unknown,
    currentBinding: string | null,
    codeChallenge?: string,
  ): Promise<{ url: string; binding: string }> {
    const connection = await this.connection(connectionId);
    const target = await this.logins.checkedRedirect(connection, redirectUri);
    let configuration: client.Configuration;
    try {
      configuration = await this.discovery.configuration(connection);
    } catch {
      throw upstreamUnavailable();
    }
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    // A browser keeps its binding across logins, so that two tabs signing in both succeed.
    const binding =
      currentBinding && BINDING_PATTERN.test(currentBinding) ? currentBinding : randomSecret();
    const transaction: OidcTransaction = {
      connectionId: connection.id,
      nonce,
      codeVerifier,
      redirectUri: target,
      binding: sha256Hex(binding),
      ...(codeChallenge ? { codeChallenge } : {}),
    };
    await this.store.put(
      transactionKey(state),
      this.secrets.seal(JSON.stringify(transaction), TRANSACTION_CONTEXT),
      OIDC_TRANSACTION_TTL_MS,
    );
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.callbackUrl(connection),
      response_type: 'code',
      scope: (connection.oidc?.scopes ?? ['openid']).join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, binding };
  }

  /** Validates the IdP's answer and signs the user in: answers the app's redirect with a code. */
  async callback(
    connectionId: string,
    query: Record<string, unknown>,
    rawQuery: string,
    binding: string | null,
  ): Promise<string> {
    const connection = await this.connection(connectionId);
    let asserted: AssertedIdentity;
    let transaction: OidcTransaction;
    try {
      ({ asserted, transaction } = await this.validate(connection, query, rawQuery, binding));
    } catch (error) {
      const refusal = this.logins.refusal(connection, error);
      // Recorded as a failed login all the same; the client learns the IdP is unusable, not refused.
      if (error instanceof SsoRefusal && error.reason === UPSTREAM_UNAVAILABLE) {
        throw upstreamUnavailable();
      }
      throw refusal;
    }
    return this.logins.complete(connection, asserted, transaction.redirectUri, {
      codeChallenge: transaction.codeChallenge,
    });
  }

  private async validate(
    connection: LoadedConnection,
    query: Record<string, unknown>,
    rawQuery: string,
    binding: string | null,
  ): Promise<{ asserted: AssertedIdentity; transaction: OidcTransaction }> {
    const state = query.state;
    if (typeof state !== 'string' || state === '' || state.length > 512) {
      throw new SsoRefusal('state_missing');
    }
    // Taken, not read: a state is good for one callback, whatever its outcome.
    const sealed = await this.store.take(transactionKey(state));
    if (!sealed) throw new SsoRefusal('state_invalid', 'Unknown, expired or used state');
    const transaction = JSON.parse(
      this.secrets.open(sealed, TRANSACTION_CONTEXT),
    ) as OidcTransaction;
    if (transaction.connectionId !== connection.id) {
      throw new SsoRefusal('state_invalid', 'The state belongs to another connection');
    }
    if (!binding || !safeEqual(sha256Hex(binding), transaction.binding)) {
      throw new SsoRefusal('browser_mismatch', 'The callback came to another browser');
    }
    if (query.error !== undefined) {
      const code = typeof query.error === 'string' ? query.error.slice(0, 64) : 'an error';
      throw new SsoRefusal('idp_error', `The IdP answered ${code}`);
    }

    let configuration: client.Configuration;
    try {
      configuration = await this.discovery.configuration(connection);
    } catch (error) {
      throw upstreamRefusal(error, 'discovery_failed');
    }
    const currentUrl = new URL(`${this.callbackUrl(connection)}?${rawQuery}`);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw upstreamRefusal(error, 'token_exchange_failed');
    }
    const claims = tokens.claims();
    if (!claims) throw new SsoRefusal('id_token_missing');

    const mapping = connection.attributeMapping;
    let profile: Record<string, unknown> = { ...claims };
    const emailClaim = mapping?.email ?? 'email';
    if (
      typeof profile[emailClaim] !== 'string' &&
      configuration.serverMetadata().userinfo_endpoint
    ) {
      try {
        const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        // The ID token's claims win: they are signed.
        profile = { ...userinfo, ...profile };
      } catch (error) {
        throw upstreamRefusal(error, 'userinfo_failed');
      }
    }
    const email = profile[emailClaim];
    const name = profile[mapping?.name ?? 'name'];
    const groups = profile[mapping?.groups ?? 'groups'];
    return {
      asserted: {
        subject: claims.sub,
        email: assertedEmail(typeof email === 'string' ? email : null),
        emailVerified: profile.email_verified === true,
        name: typeof name === 'string' ? name : null,
        groups: Array.isArray(groups)
          ? groups.filter((group): group is string => typeof group === 'string')
          : typeof groups === 'string'
            ? [groups]
            : [],
        // From the ID token only: userinfo is not signed and says nothing of the authentication.
        mfa: oidcShowsMfa(claims),
      },
      transaction,
    };
  }

  private callbackUrl(connection: LoadedConnection): string {
    return ssoUrls(this.config.http.publicUrl, connection).callbackUrl ?? '';
  }

  private async connection(connectionId: string): Promise<LoadedConnection> {
    const connection = await this.connections.findById(connectionId);
    if (!connection || connection.type !== 'oidc' || !connection.oidc) throw AppError.notFound();
    return connection;
  }
}

/** The IdP (or what its discovery names) is down, or the outbound client would not go there. */
function upstreamUnavailable(): AppError {
  return new AppError(503, ErrorCode.UpstreamUnavailable, {
    detail: 'The identity provider could not be reached. Try again shortly.',
  });
}

/** An IdP request that failed: unavailable (503) when the request itself failed, else refused. */
function upstreamRefusal(error: unknown, reason: string): SsoRefusal {
  const message = (error as Error).message;
  return new SsoRefusal(isUpstreamUnavailable(error) ? UPSTREAM_UNAVAILABLE : reason, message);
}

function transactionKey(state: string): string {
  return `oidc-transaction:${state}`;
}
