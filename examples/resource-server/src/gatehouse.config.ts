/** Algorithms Gatehouse signs access tokens with that jsonwebtoken (under passport-jwt) verifies. */
const SUPPORTED_ALGORITHMS = ['ES256', 'RS256'] as const;
type SupportedAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/**
 * What a Gatehouse access token must say to be accepted here (SPEC §8), read once at start from
 * the same values the Gatehouse instance was given.
 */
export class GatehouseConfig {
  /** Gatehouse's `PUBLIC_URL`: where its JWKS and `/v1/auth/me` are served. */
  readonly url: string;
  /** Gatehouse signs every access token with `iss` = `PUBLIC_URL/oidc`. */
  readonly issuer: string;
  /** Gatehouse's `API_AUDIENCE`, which defaults to its `PUBLIC_URL`. */
  readonly audience: string;
  readonly jwksUri: string;
  /** Gatehouse's `JWT_ALG`: one algorithm, so `none` and HS/RS confusion are refused. */
  readonly algorithms: SupportedAlgorithm[];

  constructor(env: NodeJS.ProcessEnv) {
    const url = env.GATEHOUSE_URL?.replace(/\/+$/, '');
    if (!url) throw new Error('GATEHOUSE_URL must be set to the Gatehouse PUBLIC_URL');
    const alg = env.GATEHOUSE_JWT_ALG ?? 'ES256';
    if (!SUPPORTED_ALGORITHMS.includes(alg as SupportedAlgorithm)) {
      throw new Error(`GATEHOUSE_JWT_ALG must be one of ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
    this.url = url;
    this.issuer = `${url}/oidc`;
    this.audience = env.GATEHOUSE_AUDIENCE ?? url;
    this.jwksUri = `${url}/.well-known/jwks.json`;
    this.algorithms = [alg as SupportedAlgorithm];
  }
}
