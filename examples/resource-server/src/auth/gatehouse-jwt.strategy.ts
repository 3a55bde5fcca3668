import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { GatehouseConfig } from '../gatehouse.config';
import type { Caller } from './caller';

/** What jsonwebtoken hands over with `complete: true`: header and payload, signature verified. */
interface DecodedToken {
  header: { typ?: unknown };
  payload: Record<string, unknown>;
}

/**
 * Accepts Gatehouse access tokens: the signature against Gatehouse's JWKS (keys fetched by
 * `kid`, cached, refetched at most 10 times a minute for an unknown `kid`), the one configured
 * algorithm, issuer, audience and expiry with 5 s of clock skew, as Gatehouse checks them itself.
 */
@Injectable()
export class GatehouseJwtStrategy extends PassportStrategy(Strategy, 'gatehouse') {
  constructor(config: GatehouseConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: passportJwtSecret({
        jwksUri: config.jwksUri,
        cache: true,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
      }),
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
      // `complete` passes the header on, for the `typ` check below.
      jsonWebTokenOptions: { complete: true, clockTolerance: 5 },
    });
  }

  validate(decoded: DecodedToken): Caller {
    const { sub, tid, scope } = decoded.payload;
    // RFC 9068: only `at+jwt` is an access token. An ID token from the same issuer and keys
    // is not, even if its audience were ours.
    if (decoded.header.typ !== 'at+jwt' || typeof sub !== 'string' || typeof tid !== 'string') {
      throw new UnauthorizedException();
    }
    return { sub, tenantId: tid, scopes: typeof scope === 'string' ? scope.split(' ') : [] };
  }
}
