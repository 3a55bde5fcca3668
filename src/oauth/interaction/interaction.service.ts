import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { ServerResponse } from 'node:http';
import type { InteractionResults } from 'oidc-provider';
import { AuthService } from '../../auth/auth.service';
import { PrincipalService } from '../../auth/principal/principal.service';
import type { LoginDto } from '../../auth/dto/auth.dto';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { ClientInfo } from '../../common/http/request-context';
import { TenantDirectory } from '../../tenants/tenant-directory.service';
import type { OAuthClient } from '../entities/oauth-client.entity';
import { OAuthClientDirectory } from '../oauth-client-directory.service';
import { SCOPE_DESCRIPTIONS } from '../oauth-scopes';
import { OidcProviderService } from '../provider/oidc-provider.service';
import { errorAnswer, type InteractionAnswer } from './interaction-answer';
import { InteractionConsent, type InteractionDetails as Details } from './interaction-consent';
import { InteractionForms } from './interaction-forms';
import { consentPage, loginPage } from './pages';

/**
 * The login and consent steps of an authorization request. Users sign in to the client's
 * tenant only, through `AuthService.authenticate`, so every login policy (lockout, email
 * verification, MFA, SSO-only tenants) applies exactly as on `POST /v1/auth/login`. Posted
 * forms are checked by `InteractionForms` (CSRF).
 *
 * Each step answers an `InteractionAnswer` that the controller writes. The response is passed
 * in only because oidc-provider reads its interaction cookie through it.
 */
@Injectable()
export class InteractionService {
  constructor(
    private readonly oidc: OidcProviderService,
    private readonly forms: InteractionForms,
    private readonly clients: OAuthClientDirectory,
    private readonly tenants: TenantDirectory,
    private readonly auth: AuthService,
    private readonly consentStep: InteractionConsent,
    private readonly principals: PrincipalService,
  ) {}

  async show(uid: string, req: Request, res: ServerResponse): Promise<InteractionAnswer> {
    const loaded = await this.load(uid, req, res);
    if ('kind' in loaded) return loaded;
    const { details, client } = loaded;
    if (details.prompt.name === 'login') {
      return this.loginPage(details, client, { email: '', error: null, mfa: false });
    }
    if (details.prompt.name === 'consent') {
      const accountId = details.session?.accountId;
      // Asked again (prompt=consent, or a scope the client may not have): not asked twice.
      if (accountId && (await this.consentStep.alreadyGiven(details, client, accountId))) {
        const grantId = await this.consentStep.grant(details, client, accountId, true);
        return this.finish(req, res, { consent: { grantId } }, true);
      }
      return this.consentPage(details, client);
    }
    return errorAnswer(400, 'Sign-in failed', 'This sign-in step is not supported.');
  }

  async login(
    uid: string,
    req: Request,
    res: ServerResponse,
    form: Record<string, string>,
    clientInfo: ClientInfo,
  ): Promise<InteractionAnswer> {
    const loaded = await this.load(uid, req, res, form);
    if ('kind' in loaded) return loaded;
    const { details, client } = loaded;
    if (details.prompt.name !== 'login') {
      return errorAnswer(400, 'Sign-in failed', 'This sign-in step is over. Start again.');
    }
    const tenant = await this.tenants.findById(client.tenantId);
    if (!tenant) {
      return errorAnswer(400, 'Sign-in failed', 'The application is not available.');
    }
    const email = (form.email ?? '').trim();
    const password = form.password ?? '';
    const mfaCode = form.mfaCode?.trim() || undefined;
    if (email === '' || password === '') {
      return this.loginPage(details, client, {
        email,
        error: 'Enter your email and password.',
        mfa: mfaCode !== undefined,
        status: 400,
      });
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
      return this.loginPage(details, client, {
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
        headers: error.headers ?? {},
      });
    }
    return this.finish(
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
      false,
    );
  }

  async consent(
    uid: string,
    req: Request,
    res: ServerResponse,
    form: Record<string, string>,
  ): Promise<InteractionAnswer> {
    const loaded = await this.load(uid, req, res, form);
    if ('kind' in loaded) return loaded;
    const { details, client } = loaded;
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) {
      return errorAnswer(400, 'Sign-in failed', 'This sign-in step is over. Start again.');
    }
    const grantId = await this.consentStep.grant(details, client, accountId, false);
    return this.finish(req, res, { consent: { grantId } }, true);
  }

  async abort(
    uid: string,
    req: Request,
    res: ServerResponse,
    form: Record<string, string>,
  ): Promise<InteractionAnswer> {
    const loaded = await this.load(uid, req, res, form);
    if ('kind' in loaded) return loaded;
    return this.finish(
      req,
      res,
      { error: 'access_denied', error_description: 'The user denied the request.' },
      false,
    );
  }

  /** Stores the step's result with the engine, and sends the browser back to it. */
  private async finish(
    req: Request,
    res: ServerResponse,
    result: InteractionResults,
    mergeWithLastSubmission: boolean,
  ): Promise<InteractionAnswer> {
    const location = await this.oidc
      .provider()
      .interactionResult(req, res, result, { mergeWithLastSubmission });
    return { kind: 'redirect', location };
  }

  /**
   * The interaction this browser is in, checked against the URL, the form's CSRF token and
   * the request's origin; an error page when any of them is off.
   */
  private async load(
    uid: string,
    req: Request,
    res: ServerResponse,
    form?: Record<string, string>,
  ): Promise<{ details: Details; client: OAuthClient } | InteractionAnswer> {
    let details: Details;
    try {
      details = await this.oidc.provider().interactionDetails(req, res);
    } catch {
      return errorAnswer(
        400,
        'Sign-in expired',
        'This sign-in request has expired or is not valid in this browser.',
      );
    }
    if (details.uid !== uid) {
      return errorAnswer(400, 'Sign-in failed', 'This sign-in request is not valid.');
    }
    if (form && !this.forms.verify(uid, req, form)) {
      return errorAnswer(403, 'Sign-in failed', 'The form could not be verified. Start again.');
    }
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
    const client = await this.clients.findByClientId(clientId);
    if (!client) {
      return errorAnswer(400, 'Sign-in failed', 'The application is not available.');
    }
    return { details, client };
  }

  private redirectTargets(details: Details): string[] {
    const redirectUri = details.params.redirect_uri;
    return typeof redirectUri === 'string' ? [redirectUri] : [];
  }

  private async loginPage(
    details: Details,
    client: OAuthClient,
    state: {
      email: string;
      error: string | null;
      mfa: boolean;
      status?: number;
      headers?: Readonly<Record<string, string>>;
    },
  ): Promise<InteractionAnswer> {
    const tenant = await this.tenants.findById(client.tenantId);
    return {
      kind: 'page',
      status: state.status ?? 200,
      formTargets: this.redirectTargets(details),
      ...(state.headers ? { headers: state.headers } : {}),
      html: loginPage({
        action: `/oidc/interaction/${details.uid}/login`,
        abortAction: `/oidc/interaction/${details.uid}/abort`,
        csrf: this.forms.csrfToken(details.uid),
        clientName: client.name,
        tenantName: tenant?.name ?? '',
        email: state.email,
        error: state.error,
        mfa: state.mfa,
      }),
    };
  }

  private async consentPage(details: Details, client: OAuthClient): Promise<InteractionAnswer> {
    const scopes = this.consentStep.requestedScopes(details, client);
    const accountId = details.session?.accountId;
    const user = accountId ? await this.principals.userContext(accountId) : null;
    return {
      kind: 'page',
      status: 200,
      formTargets: this.redirectTargets(details),
      html: consentPage({
        action: `/oidc/interaction/${details.uid}/consent`,
        abortAction: `/oidc/interaction/${details.uid}/abort`,
        csrf: this.forms.csrfToken(details.uid),
        clientName: client.name,
        userEmail: user?.user.email ?? '',
        scopes: scopes.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name })),
      }),
    };
  }
}
