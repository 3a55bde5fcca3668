import { Injectable, Logger } from '@nestjs/common';
import * as client from 'openid-client';
import { AuditService } from '../audit/audit.service';
import { OneTimeCodeService } from '../auth/exchange/one-time-code.service';
import { TenantScope } from '../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import type { Tenant } from '../tenants/entities/tenant.entity';
import { TenantDirectory } from '../tenants/tenant-directory.service';
import { User } from '../users/entities/user.entity';
import { assertAllowedRedirect, redirectWith } from '../tenants/app-redirect';
import { FederationStateStore } from './federation/federation-state.store';
import { isUpstreamUnavailable } from '../common/outbound/upstream-http';
import { ProviderAnswerError } from './providers/provider-answer-error';
import type { ProviderProfile, SocialProvider } from './providers/social-provider';
import { SocialProviders } from './providers/social-providers';
import { SocialAccountsService } from './social-accounts.service';
import { SocialLoginFailure } from './social-login-failure';
import { asFlow, single, type SocialFlow } from './social-flow';

const STATE_PURPOSE = 'social';

export interface SocialStart {
  tenant: string;
  redirectUri: string;
  codeChallenge?: string;
}

export interface SocialCallback {
  provider: string;
  /** The query string the provider sent back, as received. */
  query: string;
  /** Whether the request carries the browser binding whose hash the flow kept. */
  boundTo: (bindingHash: string) => boolean;
}

/**
 * Social login, start to finish. The start checks everything a 4xx can answer (redirect URI,
 * provider, tenant) before anything leaves for the provider; from the moment a flow's state is
 * found, every outcome, provider errors included, goes back to the app's checked redirect URI
 * as `?code=` or `?error=`, never as a 500 and never to an unchecked URI.
 */
@Injectable()
export class SocialLoginService {
  private readonly logger = new Logger(SocialLoginService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly providers: SocialProviders,
    private readonly tenants: TenantDirectory,
    private readonly states: FederationStateStore,
    private readonly accounts: SocialAccountsService,
    private readonly codes: OneTimeCodeService,
    private readonly audit: AuditService,
    private readonly scope: TenantScope,
    @InjectTenantRepository(User) private readonly users: TenantScopedRepository<User>,
  ) {}

  /**
   * Answers where to send the browser: the provider, or the app with `?error=` when the
   * provider is down. `bind` sets the browser-binding cookie and answers its hash.
   */
  async start(providerName: string, input: SocialStart, bind: () => string): Promise<string> {
    const instanceList = this.config.http.appRedirectAllowlist;
    assertAllowedRedirect(input.redirectUri, instanceList);
    const provider = this.providers.get(providerName);
    if (!provider) throw AppError.notFound('There is no such sign-in provider.');
    const tenant = await this.tenants.findBySlug(input.tenant);
    if (!tenant || tenant.status !== 'active' || !this.providers.isEnabled(tenant, provider.name)) {
      throw AppError.forbidden('Signing in with this provider is not available for this tenant.');
    }
    // The tenant's own list narrows the instance's: its code goes only to apps it accepts.
    const redirectUri = assertAllowedRedirect(
      input.redirectUri,
      instanceList,
      tenant.settings.redirectAllowlist ?? null,
    );

    const flow: SocialFlow = {
      provider: provider.name,
      tenantId: tenant.id,
      redirectUri,
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      bindingHash: bind(),
      codeChallenge: input.codeChallenge ?? null,
    };
    const state = await this.states.create(STATE_PURPOSE, flow);
    try {
      const url = await provider.authorizationUrl({
        redirectUri: this.callbackUrl(provider.name),
        state,
        nonce: flow.nonce,
        codeVerifier: flow.codeVerifier,
      });
      return url.href;
    } catch (error) {
      await this.states.consume(STATE_PURPOSE, state);
      const failure = this.providerFailure(error, provider.name);
      this.recordFailure(tenant.id, provider.name, failure);
      return redirectWith(flow.redirectUri, { error: failure.error });
    }
  }

  /**
   * Finishes a login and answers the app's redirect URI with `?code=` or `?error=`. Throws a
   * 400 only when there is no live state, hence no checked URI to send the browser to.
   */
  async callback(input: SocialCallback): Promise<string> {
    const params = new URLSearchParams(input.query);
    const state = single(params, 'state');
    if (state === null) {
      this.recordFailure(
        null,
        input.provider,
        new SocialLoginFailure('login_failed', 'missing_state'),
      );
      throw AppError.validation(
        [{ field: 'state', message: 'is required' }],
        'The login has no state: start it again.',
      );
    }
    const flow = asFlow(await this.states.consume(STATE_PURPOSE, state));
    if (!flow) {
      this.recordFailure(
        null,
        input.provider,
        new SocialLoginFailure('login_failed', 'invalid_state'),
      );
      throw new AppError(400, ErrorCode.InvalidToken, {
        detail: 'The login state is unknown, expired or already used: start the login again.',
      });
    }

    try {
      const { tenant, user, outcome, identityId } = await this.finish(input, params, flow, state);
      // Nobody is signed in yet: the login is in the tenant its state named.
      const code = await this.scope.run(tenant.id, async () => {
        await this.users.update({ id: user.id }, { lastLoginAt: new Date() });
        return this.codes.issue(user, 'social', { codeChallenge: flow.codeChallenge ?? undefined });
      });
      this.audit.record({
        action: 'auth.social.login',
        outcome: 'success',
        tenantId: tenant.id,
        actor: { type: 'user', id: user.id },
        target: { type: 'user', id: user.id },
        metadata: { provider: flow.provider, outcome, identityId },
      });
      return redirectWith(flow.redirectUri, { code });
    } catch (error) {
      const failure =
        error instanceof SocialLoginFailure ? error : this.unexpected(error, flow.provider);
      this.recordFailure(flow.tenantId, flow.provider, failure);
      return redirectWith(flow.redirectUri, { error: failure.error });
    }
  }

  private async finish(
    input: SocialCallback,
    params: URLSearchParams,
    flow: SocialFlow,
    state: string,
  ): Promise<{ tenant: Tenant; user: User; outcome: string; identityId: string }> {
    if (flow.provider !== input.provider) {
      throw new SocialLoginFailure('login_failed', 'provider_mismatch');
    }
    if (!input.boundTo(flow.bindingHash)) {
      throw new SocialLoginFailure('login_failed', 'browser_mismatch');
    }
    if (params.has('error')) throw providerError(params.get('error') ?? '');

    const tenant = await this.tenants.findById(flow.tenantId);
    if (!tenant) throw new SocialLoginFailure('login_failed', 'unknown_tenant');
    if (tenant.status !== 'active') {
      throw new SocialLoginFailure('account_disabled', 'tenant_suspended');
    }
    const provider = this.providers.get(flow.provider);
    if (!provider || !this.providers.isEnabled(tenant, provider.name)) {
      throw new SocialLoginFailure('access_denied', 'provider_disabled');
    }

    const profile = await this.profile(provider, params, flow, state);
    const signIn = await this.accounts.signIn(tenant, provider.name, profile);
    return { tenant, ...signIn };
  }

  private async profile(
    provider: SocialProvider,
    params: URLSearchParams,
    flow: SocialFlow,
    state: string,
  ): Promise<ProviderProfile> {
    const callbackUrl = new URL(this.callbackUrl(provider.name));
    callbackUrl.search = params.toString();
    try {
      return await provider.complete({
        callbackUrl,
        state,
        nonce: flow.nonce,
        codeVerifier: flow.codeVerifier,
      });
    } catch (error) {
      throw this.providerFailure(error, provider.name);
    }
  }

  /** Our callback, as registered at the provider: always on PUBLIC_URL, never the Host header. */
  callbackUrl(provider: string): string {
    return `${this.config.http.publicUrl}/v1/auth/social/${provider}/callback`;
  }

  private providerFailure(error: unknown, provider: string): SocialLoginFailure {
    if (error instanceof SocialLoginFailure) return error;
    if (isUpstreamUnavailable(error)) {
      this.logger.warn(`Provider ${provider} is unavailable: ${describe(error)}`);
      return new SocialLoginFailure('temporarily_unavailable', 'provider_unavailable');
    }
    if (error instanceof ProviderAnswerError) {
      return new SocialLoginFailure(
        error.reason === 'email_missing' ? 'email_required' : 'login_failed',
        error.reason,
      );
    }
    if (error instanceof client.AuthorizationResponseError) {
      return providerError(error.error);
    }
    // openid-client refused the answer (ID token, nonce, state, iss, token endpoint error).
    // Its message names the check; its cause may hold the provider's response: not logged.
    this.logger.warn(`Provider ${provider} answer refused: ${describe(error)}`);
    const code = (error as { code?: unknown } | null)?.code;
    return new SocialLoginFailure('login_failed', 'invalid_response', {
      check: typeof code === 'string' ? code.slice(0, 64) : 'unknown',
    });
  }

  private unexpected(error: unknown, provider: string): SocialLoginFailure {
    this.logger.error(
      `Social login with ${provider} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return new SocialLoginFailure('server_error', 'internal_error');
  }

  private recordFailure(
    tenantId: string | null,
    provider: string,
    failure: SocialLoginFailure,
  ): void {
    this.audit.record({
      action: 'auth.social.login',
      outcome: 'failure',
      tenantId,
      actor: { type: 'user', id: (failure.metadata.userId as string | undefined) ?? null },
      target: { type: 'user', id: (failure.metadata.userId as string | undefined) ?? null },
      metadata: {
        provider: provider.slice(0, 64),
        reason: failure.reason,
        error: failure.error,
        ...failure.metadata,
      },
    });
  }
}

/** The provider's own `?error=`: a cancel, an outage, or anything else it refuses. */
function providerError(code: string): SocialLoginFailure {
  if (code === 'access_denied') return new SocialLoginFailure('access_denied', 'cancelled');
  if (code === 'temporarily_unavailable' || code === 'server_error') {
    return new SocialLoginFailure('temporarily_unavailable', 'provider_unavailable', {
      providerError: code,
    });
  }
  return new SocialLoginFailure('provider_error', 'provider_error', {
    providerError: /^[\w.-]{1,64}$/.test(code) ? code : 'invalid',
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}
