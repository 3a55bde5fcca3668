import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHmac } from 'node:crypto';
import { safeEqual } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app-config';
import { OidcProviderService } from '../provider/oidc-provider.service';

const FIELD_LIMITS: Readonly<Record<string, number>> = {
  csrf: 128,
  email: 254,
  password: 1024,
  mfaCode: 64,
};

/**
 * The login and consent forms' CSRF defence. Forms are CSRF-safe three times over: the
 * interaction is bound to a SameSite=Lax, httpOnly cookie that a cross-site post does not carry;
 * each form holds a token derived (HMAC) from the interaction id with a server key; and a
 * cross-origin `Origin` is refused.
 */
@Injectable()
export class InteractionForms {
  private readonly ownOrigin: string;

  constructor(
    config: AppConfig,
    private readonly oidc: OidcProviderService,
  ) {
    this.ownOrigin = new URL(config.http.publicUrl).origin;
  }

  /** The token a form of interaction `uid` carries. */
  csrfToken(uid: string): string {
    return createHmac('sha256', this.oidc.csrfKey).update(`interaction:${uid}`).digest('base64url');
  }

  /** Whether a posted form is one of ours for this interaction: known fields, token, origin. */
  verify(uid: string, req: Request, form: Record<string, string>): boolean {
    const oversized = Object.entries(form).some(
      ([name, value]) => value.length > (FIELD_LIMITS[name] ?? 0),
    );
    return !oversized && safeEqual(form.csrf ?? '', this.csrfToken(uid)) && this.sameOrigin(req);
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
}
