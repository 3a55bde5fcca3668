import { Injectable } from '@nestjs/common';
import {
  type CryptoKey,
  errors as joseErrors,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { newId } from '../../common/crypto/ids';
import { AppConfig } from '../../config/app-config';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { KeyStoreService } from '../keys/key-store.service';
import type { AccessTokenClaims } from './access-token-claims';
import { boundedCache } from '../../common/cache/bounded-cache';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
const CLOCK_TOLERANCE_S = 5;
/** Header members that would make a verifier fetch or trust keys named by the token itself. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  jti: string;
}

/**
 * Signs and verifies access tokens. Verification pins everything a token could otherwise
 * choose: the algorithm (the configured one only, so `none` and HS/RS confusion fail), the key
 * (by `kid`, from our own store), issuer, audience, `typ` (an ID token is not an access token)
 * and lifetime.
 *
 * Verified tokens are cached until they expire: an ES256 signature check would otherwise
 * dominate a protected read (SPEC §12). The cache holds only the claims of tokens
 * that verified; revocation is checked separately on every request, against the session.
 */
@Injectable()
export class AccessTokenService {
  private readonly verified = boundedCache<string, { claims: AccessTokenClaims; kid: string }>(
    50_000,
  );
  private readonly hsKey: KeyObject | null;
  private readonly hsKid: string | null;

  constructor(
    private readonly config: AppConfig,
    private readonly keyStore: KeyStoreService,
  ) {
    const secret = config.tokens.jwtSecret;
    this.hsKey = secret ? createSecretKey(Buffer.from(secret, 'utf8')) : null;
    // A stable, non-reversible name for the shared secret.
    this.hsKid = secret
      ? `hs-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`
      : null;
  }

  /**
   * The shared HS256 key and its `kid` when `JWT_ALG=HS256`, else null: the OAuth server signs
   * its access tokens with it too, so there is one token format and one verifier.
   */
  sharedSigningKey(): { key: KeyObject; kid: string } | null {
    return this.hsKey && this.hsKid ? { key: this.hsKey, kid: this.hsKid } : null;
  }

  async issue(claims: {
    sub: string;
    tid: string;
    sid?: string;
    scope?: string;
  }): Promise<IssuedAccessToken> {
    const ttl = this.config.tokens.accessTokenTtl;
    const jti = newId();
    // One clock reading for both claims: jose reads the clock once per setter, so a second
    // boundary between them would make a token last one second longer than configured.
    const issuedAt = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { tid: claims.tid };
    if (claims.sid) payload.sid = claims.sid;
    if (claims.scope) payload.scope = claims.scope;
    const builder = new SignJWT(payload)
      .setIssuer(this.config.tokens.issuer)
      .setAudience(this.config.tokens.audience)
      .setSubject(claims.sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttl)
      .setJti(jti);
    let token: string;
    if (this.hsKey && this.hsKid) {
      token = await builder
        .setProtectedHeader({ alg: 'HS256', kid: this.hsKid, typ: ACCESS_TOKEN_TYPE })
        .sign(this.hsKey);
    } else {
      const key = this.keyStore.activeKey();
      token = await builder
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
        .sign(key.privateKey);
    }
    return { token, expiresIn: ttl, jti };
  }

  /** Returns the claims of a valid token, or throws 401 `invalid_token` / `token_expired`. */
  async verify(token: string): Promise<AccessTokenClaims> {
    const cached = this.verified.get(token);
    if (cached) {
      // A key revoked since (here or on another instance: the key store reloads) verifies
      // nothing, including what it verified before.
      if (!this.hsKey && !this.keyStore.isLoaded(cached.kid)) {
        this.verified.delete(token);
        throw AppError.invalidToken('The access token is not valid.');
      }
      if (cached.claims.exp + CLOCK_TOLERANCE_S > Date.now() / 1000) return cached.claims;
      this.verified.delete(token);
      throw new AppError(401, ErrorCode.TokenExpired, { detail: 'The access token has expired.' });
    }
    let payload: JWTPayload;
    let kid: string;
    try {
      let protectedHeader: JWTHeaderParameters;
      ({ payload, protectedHeader } = await jwtVerify(token, (header) => this.resolveKey(header), {
        algorithms: [this.config.tokens.alg],
        issuer: this.config.tokens.issuer,
        audience: this.config.tokens.audience,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'tid', 'iat', 'exp', 'jti'],
      }));
      kid = protectedHeader.kid ?? '';
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AppError(401, ErrorCode.TokenExpired, {
          detail: 'The access token has expired.',
        });
      }
      throw AppError.invalidToken('The access token is not valid.');
    }
    const claims = this.toClaims(payload);
    const ttlMs = (claims.exp - Date.now() / 1000) * 1000;
    if (ttlMs > 0) this.verified.set(token, { claims, kid }, { ttl: Math.ceil(ttlMs) });
    return claims;
  }

  private async resolveKey(header: JWTHeaderParameters): Promise<CryptoKey | KeyObject> {
    if (FORBIDDEN_HEADERS.some((name) => name in header) || typeof header.kid !== 'string') {
      throw new joseErrors.JWSInvalid('unacceptable header');
    }
    if (this.hsKey) {
      if (header.kid !== this.hsKid) throw new joseErrors.JWKSNoMatchingKey();
      return this.hsKey;
    }
    const key = await this.keyStore.findKey(header.kid);
    if (!key || key.alg !== header.alg) throw new joseErrors.JWKSNoMatchingKey();
    return key.publicKey;
  }

  private toClaims(payload: JWTPayload): AccessTokenClaims {
    const { iss, aud, sub, tid, sid, iat, exp, jti, scope, client_id: clientId } = payload;
    if (
      typeof iss !== 'string' ||
      typeof sub !== 'string' ||
      typeof tid !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      typeof jti !== 'string' ||
      (sid !== undefined && typeof sid !== 'string') ||
      (scope !== undefined && typeof scope !== 'string') ||
      (clientId !== undefined && typeof clientId !== 'string')
    ) {
      throw AppError.invalidToken('The access token is not valid.');
    }
    return {
      iss,
      aud: Array.isArray(aud) ? (aud[0] ?? '') : (aud ?? ''),
      sub,
      tid,
      iat,
      exp,
      jti,
      ...(sid !== undefined ? { sid } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(clientId !== undefined ? { client_id: clientId } : {}),
    };
  }
}
