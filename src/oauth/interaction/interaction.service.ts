import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHmac } from 'node:crypto';
import type { Grant } from 'oidc-provider';
import { AuditService } from '../../audit/audit.service';
import { AuthService } from '../../auth/auth.service';
import { PrincipalService } from '../../auth/principal/principal.service';
import type { LoginDto } from '../../auth/dto/auth.dto';
import { safeEqual } from '../../common/crypto/tokens';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { ClientInfo } from '../../common/http/request-context';
import { AppConfig } from '../../config/app-config';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import type { OAuthClient } from '../entities/oauth-client.entity';
import { OAuthClientDirectory } from '../oauth-client-directory.service';
import { OAuthConsentService } from '../oauth-consent.service';
import { SCOPE_DESCRIPTIONS } from '../oauth-scopes';
import { OidcProviderService } from '../provider/oidc-provider.service';
import { consentPage, errorPage, loginPage, pageCsp } from './pages';

type Details = Awaited<
  ReturnType<ReturnType<OidcProviderService['provider']>['interactionDetails']>
>;

const FIELD_LIMITS: Readonly<Record<string, number>> = {
  csrf: 128,
  email: 254,
  password: 1024,
  mfaCode: 64,
};

/**
 * The login and consent steps of an authorization request. Users sign in to the client's
 * tenant only, through `AuthService.authenticate`, so every login policy (lockout, email
 * verification, MFA, SSO-only tenants) applies exactly as on `POST /v1/auth/login`.
 *
 * Forms are CSRF-safe three times over: the interaction is bound to a SameSite=Lax, httpOnly
 * cookie that a cross-site post does not carry; each form holds a token derived (HMAC) from the
 * interaction id with a server key; and a cross-origin `Origin` is refused.
 */
@Injectable()
export class InteractionService {
  private readonly ownOrigin: string;

  constructor(
    config: AppConfig,
    private readonly oidc: OidcProviderService,
    private readonly clients: OAuthClientDirectory,
    private readonly tenants: TenantDirectory,
    private readonly auth: AuthService,
    private readonly consents: OAuthConsentService,
    private readonly principals: PrincipalService,
    private readonly audit: AuditService,
  ) {
    this.ownOrigin = new URL(config.http.publicUrl).origin;
  }

  async show(uid: string, req: Request, res: Response): Promise<void> {
    const loaded = await this.load(uid, req, res);
    if (!loaded) return;
    const { details, client } = loaded;
    if (details.prompt.name === 'login') {
      await this.renderLogin(res, details, client, { email: '', error: null, mfa: false });
      return;
    }
    if (details.prompt.name === 'consent') {
      const accountId = details.session?.accountId;
      // Asked again (prompt=consent, or a scope the client may not have): a first-party client
      // or a user who already agreed to all of it is not asked twice.
      if (
        accountId &&
        (client.skipConsent ||
          (await this.consents.covers(accountId, client.id, this.requestedScopes(details, client))))
      ) {
        const grantId = await this.grantConsent(details, client, accountId, true);
        await this.oidc
          .provider()
          .interactionFinished(
            req,
            res,
            { consent: { grantId } },
            { mergeWithLastSubmission: true },
          );
        return;
      }
      await this.renderConsent(res, details, client);
      return;
    }
    this.sendError(res, 400, 'Sign-in failed', 'This sign-in step is not supported.');
  }

  async login(
    uid: string,
    req: Request,
    res: Response,
    form: Record<string, string>,
    clientInfo: ClientInfo,
  ): Promise<void> {
    const loaded = await this.load(uid, req, res, form);
    if (!loaded) return;
    const { details, client } = loaded;
    if (details.prompt.name !== 'login') {
      this.sendError(res, 400, 'Sign-in failed', 'This sign-in step is over. Start again.');
      return;
    }
    const tenant = await this.tenants.findById(client.tenantId);
    if (!tenant) {
      this.sendError(res, 400, 'Sign-in failed', 'The application is not available.');
      return;
    }
    const email = (form.email ?? '').trim();
    const password = form.password ?? '';
    const mfaCode = form.mfaCode?.trim() || undefined;
    if (email === '' || password === '') {
      await this.renderLogin(res, details, client, {
        email,
        error: 'Enter your email and password.',
        mfa: mfaCode !== undefined,
        status: 400,
      });
      return;
    }
    const input: LoginDto = {
      tenant: tenant.slug,
      email,
      password,
      ...(mfaCode ? { mfaCode } : {}),
    };
    let user: { id: string };
    let method: string;
    try {
      ({ user, method } = await this.auth.authenticate(input, clientInfo));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const mfa = error.code === ErrorCode.MfaRequired;
      for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
      await this.renderLogin(res, details, client, {
        email,
        mfa: mfa || mfaCode !== undefined,
        status: mfa ? 200 : error.status,
        error: mfa
          ? mfaCode
            ? 'That code is not valid. Try again.'
            : 'Your account asks for a second factor.'
          : error.code === ErrorCode.InvalidCredentials
            ? 'The email or password is not correct.'
            : (error.detail ?? 'You cannot sign in right now.'),
      });
      return;
    }
    await this.oidc.provider().interactionFinished(
      req,
      res,
      {
        login: {
          accountId: user.id,
          amr: method === 'mfa' ? ['pwd', 'mfa'] : ['pwd'],
          // The provider session ends with the browser session.
          remember: false,
        },
      },
      { mergeWithLastSubmission: false },
    );
  }

  async consent(
    uid: string,
    req: Request,
    res: Response,
    form: Record<string, string>,
  ): Promise<void> {
    const loaded = await this.load(uid, req, res, form);
    if (!loaded) return;
    const { details, client } = loaded;
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) {
      this.sendError(res, 400, 'Sign-in failed', 'This sign-in step is over. Start again.');
      return;
    }
    const grantId = await this.grantConsent(details, client, accountId, false);
    await this.oidc
      .provider()
      .interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  async abort(
    uid: string,
    req: Request,
    res: Response,
    form: Record<string, string>,
  ): Promise<void> {
    const loaded = await this.load(uid, req, res, form);
    if (!loaded) return;
    await this.oidc
      .provider()
      .interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user denied the request.' },
        { mergeWithLastSubmission: false },
      );
  }

  sendError(res: Response, status: number, title: string, message: string): void {
    res.status(status);
    res.setHeader('Content-Security-Policy', pageCsp());
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(errorPage(title, message));
  }

  /**
   * The interaction this browser is in, checked against the URL, the form's CSRF token and
   * the request's origin; null (with an error page sent) when any of them is off.
   */
  private async load(
    uid: string,
    req: Request,
    res: Response,
    form?: Record<string, string>,
  ): Promise<{ details: Details; client: OAuthClient } | null> {
    let details: Details;
    try {
      details = await this.oidc.provider().interactionDetails(req, res);
    } catch {
      this.sendError(
        res,
        400,
        'Sign-in expired',
        'This sign-in request has expired or is not valid in this browser.',
      );
      return null;
    }
    if (details.uid !== uid) {
      this.sendError(res, 400, 'Sign-in failed', 'This sign-in request is not valid.');
      return null;
    }
    if (form) {
      const problem = Object.entries(form).find(
        ([name, value]) => value.length > (FIELD_LIMITS[name] ?? 0),
      );
      if (problem || !safeEqual(form.csrf ?? '', this.csrfToken(uid)) || !this.sameOrigin(req)) {
        this.sendError(res, 403, 'Sign-in failed', 'The form could not be verified. Start again.');
        return null;
      }
    }
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
    const client = await this.clients.findByClientId(clientId);
    if (!client) {
      this.sendError(res, 400, 'Sign-in failed', 'The application is not available.');
      return null;
    }
    return { details, client };
  }

  /**
   * Browsers say where a form post comes from: `Sec-Fetch-Site` must be `same-origin` when
   * sent, and `Origin` our own — or `null`, which is what a page under `Referrer-Policy:
   * no-referrer` sends (the CSRF token and the SameSite cookie still stand then).
   */
  private sameOrigin(req: Request): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.ownOrigin && origin !== 'null') return false;
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin';
  }

  private csrfToken(uid: string): string {
    return createHmac('sha256', this.oidc.csrfKey).update(`interaction:${uid}`).digest('base64url');
  }

  private redirectTargets(details: Details): string[] {
    const redirectUri = details.params.redirect_uri;
    return typeof redirectUri === 'string' ? [redirectUri] : [];
  }

  private async renderLogin(
    res: Response,
    details: Details,
    client: OAuthClient,
    state: { email: string; error: string | null; mfa: boolean; status?: number },
  ): Promise<void> {
    const tenant = await this.tenants.findById(client.tenantId);
    res.status(state.status ?? 200);
    res.setHeader('Content-Security-Policy', pageCsp(this.redirectTargets(details)));
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      loginPage({
        action: `/oidc/interaction/${details.uid}/login`,
        abortAction: `/oidc/interaction/${details.uid}/abort`,
        csrf: this.csrfToken(details.uid),
        clientName: client.name,
        tenantName: tenant?.name ?? '',
        email: state.email,
        error: state.error,
        mfa: state.mfa,
      }),
    );
  }

  private async renderConsent(res: Response, details: Details, client: OAuthClient): Promise<void> {
    const scopes = this.requestedScopes(details, client);
    const accountId = details.session?.accountId;
    const user = accountId ? await this.principals.userContext(accountId) : null;
    res.status(200);
    res.setHeader('Content-Security-Policy', pageCsp(this.redirectTargets(details)));
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      consentPage({
        action: `/oidc/interaction/${details.uid}/consent`,
        abortAction: `/oidc/interaction/${details.uid}/abort`,
        csrf: this.csrfToken(details.uid),
        clientName: client.name,
        userEmail: user?.user.email ?? '',
        scopes: scopes.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name })),
      }),
    );
  }

  /**
   * The scopes the user is asked to give: those requested that the client may have, and
   * `offline_access` when the client is registered for refresh tokens (it gets them with every
   * code, so the user must know).
   */
  private requestedScopes(details: Details, client: OAuthClient): string[] {
    const scope = typeof details.params.scope === 'string' ? details.params.scope : '';
    const requested = new Set(scope.split(' '));
    if (client.grantTypes.includes('refresh_token')) requested.add('offline_access');
    return [...requested].filter((name) => client.scopes.includes(name));
  }

  /** Records the user's consent in a grant (and remembers it), answering the grant id. */
  private async grantConsent(
    details: Details,
    client: OAuthClient,
    accountId: string,
    automatic: boolean,
  ): Promise<string> {
    const provider = this.oidc.provider();
    let grant: Grant | undefined = details.grantId
      ? await provider.Grant.find(details.grantId)
      : undefined;
    if (!grant || grant.accountId !== accountId || grant.clientId !== client.clientId) {
      grant = new provider.Grant({ accountId, clientId: client.clientId });
    }
    const scopes = this.requestedScopes(details, client);
    const requested =
      typeof details.params.scope === 'string' ? details.params.scope.split(' ') : [];
    this.oidc.addScopes(grant, requested, client.scopes);
    const missingClaims = (details.prompt.details as { missingOIDCClaims?: string[] })
      .missingOIDCClaims;
    if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await this.consents.remember(client.tenantId, accountId, client.id, scopes);
    if (automatic) return grantId;
    this.audit.record({
      action: 'oauth.consent.granted',
      outcome: 'success',
      tenantId: client.tenantId,
      actor: { type: 'user', id: accountId },
      target: { type: 'oauth_client', id: client.id },
      metadata: { clientId: client.clientId, scopes, automatic },
    });
    return grantId;
  }
}
