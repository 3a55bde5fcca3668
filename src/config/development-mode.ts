import { isIP } from 'node:net';

/** What decides whether this instance may run with the built-in development conveniences. */
export interface ModeFacts {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly host: string;
  readonly publicUrl: string;
  readonly trustProxy: boolean;
}

/** `NODE_ENV` unset means development; there HOST defaults to loopback (a deviation of SPEC §4). */
export const DEVELOPMENT_HOST = '127.0.0.1';

function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * Why this development instance is not local, or null when it is. Only an instance nobody
 * else can reach may seal secrets with the public built-in key and log mailed links (F19):
 * loopback HOST, a plain-http localhost PUBLIC_URL, and no proxy declared in front of it.
 */
function notLocalBecause(facts: ModeFacts): string | null {
  if (!isLoopbackHost(facts.host)) return `HOST is "${facts.host}", not loopback`;
  const url = new URL(facts.publicUrl);
  if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
    return `PUBLIC_URL is ${url.origin}, not http://localhost`;
  }
  if (facts.trustProxy) return 'TRUST_PROXY declares a proxy in front';
  return null;
}

/** NODE_ENV=development on loopback: the built-in key and logged mail links are allowed. */
export function isLocalDevelopment(facts: ModeFacts): boolean {
  return facts.nodeEnv === 'development' && notLocalBecause(facts) === null;
}

/**
 * The one problem line when no key-encryption key is set and the built-in one may not be used,
 * or null when it may (local development, and test runs, which never serve anyone).
 */
export function missingKeyProblem(facts: ModeFacts): string | null {
  if (facts.nodeEnv === 'production') {
    return 'KEY_ENCRYPTION_KEY is required in production (at least 32 random characters)';
  }
  if (facts.nodeEnv === 'test') return null;
  const reason = notLocalBecause(facts);
  return reason === null
    ? null
    : `KEY_ENCRYPTION_KEY is required (at least 32 random characters): ${reason}, and the built-in development key serves only NODE_ENV=development on 127.0.0.1 with PUBLIC_URL http://localhost`;
}

/** The line `npm start` prints about the mode it runs in (none outside development). */
export function developmentModeLine(facts: ModeFacts, builtInKey: boolean): string | null {
  if (facts.nodeEnv !== 'development') return null;
  if (!isLocalDevelopment(facts)) {
    return 'development mode on a reachable address: mail links are not logged. Set NODE_ENV=production to deploy.';
  }
  return builtInKey
    ? 'development mode: insecure built-in key, mail links logged — not for production'
    : 'development mode: mail links logged — not for production';
}
