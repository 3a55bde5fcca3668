/**
 * Pure checks of connection settings, shared by create and update. Each throws an Error whose
 * message is shown to the admin next to the field.
 */

const DOMAIN_PATTERN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Lower-cased, without a trailing dot, deduplicated; each a DNS name with a dot and a TLD. */
export function normaliseDomains(domains: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of domains) {
    const domain = raw.trim().toLowerCase().replace(/\.$/, '');
    if (!DOMAIN_PATTERN.test(domain)) throw new Error(`"${raw.slice(0, 80)}" is not a domain name`);
    if (!out.includes(domain)) out.push(domain);
  }
  return out;
}

/** The domain of an email address, lower-cased; null when it has none. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return null;
  return email
    .slice(at + 1)
    .trim()
    .toLowerCase()
    .replace(/\.$/, '');
}

/** Plain http only on the loopback interface (a local IdP in development and tests). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * A URL of the IdP that an admin configured: https (http on loopback only), no credentials,
 * no fragment; for an issuer, no query either (OIDC Discovery §2).
 */
export function assertUpstreamUrl(value: string, options: { issuer?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new Error('must be an https URL');
  }
  if (url.username || url.password) throw new Error('must not contain credentials');
  if (url.hash) throw new Error('must not have a fragment');
  if (options.issuer && url.search) throw new Error('must not have a query');
  return value;
}
