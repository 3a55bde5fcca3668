import { Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { randomSecret, safeEqual, sha256Hex } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app-config';
import { FEDERATION_STATE_TTL_MS } from './federation-state.store';

const VALUE_PATTERN = /^[\w-]{43}$/;

export interface BindingCookieOptions {
  /** Without the `__Host-` prefix, which is added over https. */
  name: string;
  /** `lax` when the provider comes back with a top-level GET; `none` for a cross-site POST. */
  sameSite: 'lax' | 'none';
  maxAgeMs: number;
}

/**
 * Ties a login at a provider to the browser that started it, against login CSRF (RFC 6749
 * §10.12, OAuth Security BCP §4.7): the start sets an httpOnly cookie with a random value and
 * the state keeps its hash; a callback that arrives without that cookie (an attacker's code or
 * assertion pushed into a victim's browser) is refused. Over https the `__Host-` prefix
 * (Secure, Path=/, no Domain) stops a sibling subdomain from planting a value it knows. A
 * browser keeps one value for every flow it starts, so two logins in two tabs do not break
 * each other.
 */
export class BindingCookie {
  readonly cookieName: string;

  constructor(
    private readonly secure: boolean,
    private readonly options: BindingCookieOptions,
  ) {
    this.cookieName = secure ? `__Host-${options.name}` : options.name;
  }

  /** Sets (or refreshes) the cookie and answers the hash to keep with the state. */
  bind(req: Request, res: Response): string {
    const value = this.read(req) ?? randomSecret();
    res.cookie(this.cookieName, value, { ...this.attributes(), maxAge: this.options.maxAgeMs });
    return sha256Hex(value);
  }

  /** True when the request carries the cookie whose hash the state kept. */
  matches(req: Request, expectedHash: string): boolean {
    const value = this.read(req);
    return value !== null && safeEqual(sha256Hex(value), expectedHash);
  }

  clear(res: Response): void {
    res.clearCookie(this.cookieName, this.attributes());
  }

  private attributes(): CookieOptions {
    return { httpOnly: true, secure: this.secure, sameSite: this.options.sameSite, path: '/' };
  }

  private read(req: Request): string | null {
    const header = req.headers.cookie;
    if (typeof header !== 'string') return null;
    for (const part of header.split(';')) {
      const index = part.indexOf('=');
      if (index < 0 || part.slice(0, index).trim() !== this.cookieName) continue;
      const value = part.slice(index + 1).trim();
      if (VALUE_PATTERN.test(value)) return value;
    }
    return null;
  }
}

/** Whether browsers reach this instance over https, hence whether cookies are `Secure`. */
export function servesHttps(config: AppConfig): boolean {
  return config.http.tls !== null || config.http.publicUrl.startsWith('https://');
}

/**
 * The social login's binding. SameSite=Lax still sends it on the provider's top-level
 * redirect back.
 */
@Injectable()
export class BrowserBinding extends BindingCookie {
  constructor(config: AppConfig) {
    super(servesHttps(config), {
      name: 'gatehouse-federation',
      sameSite: 'lax',
      maxAgeMs: FEDERATION_STATE_TTL_MS,
    });
  }
}
