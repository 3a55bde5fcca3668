import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { BindingCookie, servesHttps } from '../../social/federation/browser-binding';

/** How long an AuthnRequest waits for its response, and its relay state with it. */
export const SAML_REQUEST_TTL_MS = 10 * 60_000;

/**
 * The SAML login's browser binding (F12): the same mechanism as social login's, but
 * SameSite=None, because the IdP's HTTP-POST to the ACS is a cross-site form post, on which a
 * Lax cookie is not sent.
 */
@Injectable()
export class SamlBrowserBinding extends BindingCookie {
  constructor(config: AppConfig) {
    super(servesHttps(config), {
      name: 'gatehouse-saml',
      sameSite: 'none',
      maxAgeMs: SAML_REQUEST_TTL_MS,
    });
  }
}
