import { JWT_ALGORITHMS, type JwtAlgorithm, type TokenConfig } from '../config.types';
import { EnvInt, EnvOneOf, EnvString } from '../env-decorators';

/** Access and refresh tokens. Lifetimes are in seconds. */
export class TokenVariables {
  /** Unset: PUBLIC_URL. */
  @EnvString()
  API_AUDIENCE?: string;

  @EnvOneOf(JWT_ALGORITHMS)
  JWT_ALG: JwtAlgorithm = 'ES256';

  /** With HS256 only, at least 32 bytes. */
  @EnvString()
  JWT_SECRET?: string;

  @EnvInt(30, 86_400)
  ACCESS_TOKEN_TTL = 900;

  @EnvInt(60, 31_536_000)
  REFRESH_TOKEN_TTL = 2_592_000;

  /** The absolute lifetime of a refresh-token family. */
  @EnvInt(60, 31_536_000)
  SESSION_MAX_AGE = 7_776_000;
}

/** The `tokens` section, with the rules between its variables. */
export function toTokenConfig(
  vars: TokenVariables,
  publicUrl: string,
  problems: string[],
): TokenConfig {
  const { JWT_ALG: alg, JWT_SECRET: secret } = vars;
  if (alg === 'HS256' && (secret === undefined || Buffer.byteLength(secret) < 32)) {
    problems.push('JWT_SECRET must be at least 32 bytes when JWT_ALG=HS256');
  }
  if (vars.SESSION_MAX_AGE < vars.REFRESH_TOKEN_TTL) {
    problems.push('SESSION_MAX_AGE must not be shorter than REFRESH_TOKEN_TTL');
  }
  return {
    issuer: `${publicUrl}/oidc`,
    audience: vars.API_AUDIENCE ?? publicUrl,
    alg,
    jwtSecret: alg === 'HS256' ? (secret ?? null) : null,
    accessTokenTtl: vars.ACCESS_TOKEN_TTL,
    refreshTokenTtl: vars.REFRESH_TOKEN_TTL,
    sessionMaxAge: vars.SESSION_MAX_AGE,
  };
}
