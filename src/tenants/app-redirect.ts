import { AppError } from '../common/errors/app-error';

export const MAX_REDIRECT_URI_LENGTH = 2048;
export const MAX_TENANT_REDIRECTS = 50;

/**
 * Where a social or SSO login may send the browser back to, with its one-time code (SPEC §13
 * "Redirects", §14). The URI must equal an entry of `APP_REDIRECT_ALLOWLIST` once its query
 * string is removed and, when the login's tenant narrowed the instance list with
 * `settings.redirectAllowlist`, an entry of that list too: the effective list is the
 * intersection, so a tenant can drop another party's app but never add one. Both sides are
 * parsed (host case and default ports do not matter); nothing else is lenient: no prefix,
 * subdomain or path matching, no fragment (the code goes in the query), no credentials.
 * Answers the URI; throws 400 `validation_failed` on `redirect_uri` otherwise.
 */
export function assertAllowedRedirect(
  value: unknown,
  instanceAllowlist: readonly string[],
  tenantAllowlist: readonly string[] | null = null,
): string {
  const refuse = (message: string) =>
    AppError.validation([{ field: 'redirect_uri', message }], 'The redirect URI is not allowed.');
  if (typeof value !== 'string' || value === '') throw refuse('is required');
  if (value.length > MAX_REDIRECT_URI_LENGTH) throw refuse('is too long');
  if (value.includes('#')) throw refuse('must not have a fragment');
  const base = withoutQuery(value);
  const allowed =
    base !== null &&
    isListed(base, instanceAllowlist) &&
    (tenantAllowlist === null || isListed(base, tenantAllowlist));
  // One message for both lists: which list refused is the operator's business, not the caller's.
  if (!allowed) throw refuse('is not in APP_REDIRECT_ALLOWLIST');
  return new URL(value).href;
}

/**
 * Why an entry of a tenant's `settings.redirectAllowlist` is unusable, or null: an absolute
 * http(s) URL, compared as a whole, so no query, fragment or credentials.
 */
export function redirectEntryProblem(entry: string): string | null {
  if (entry.length > MAX_REDIRECT_URI_LENGTH) return 'is too long';
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http(s)';
  if (url.username !== '' || url.password !== '') return 'must not have credentials';
  if (entry.includes('#')) return 'must not have a fragment';
  if (entry.includes('?')) return 'must not have a query';
  return null;
}

/** The URI without its query, normalised; null when it is not an http(s) URL we accept. */
function withoutQuery(candidate: string): string | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  url.search = '';
  return url.href;
}

function isListed(base: string, allowlist: readonly string[]): boolean {
  return allowlist.some((entry) => withoutQuery(entry) === base);
}

/** What the app reads from our redirect: the app's URI may not bring its own. */
const RESULT_PARAMETERS = ['code', 'error', 'error_description'];

/**
 * The app's redirect URI with the login's result. The app's own query is kept, except result
 * parameters: a redirect URI carrying `?code=<someone else's code>` would otherwise deliver
 * an attacker's login alongside our `error`.
 */
export function redirectWith(redirectUri: string, parameters: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const name of RESULT_PARAMETERS) url.searchParams.delete(name);
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  return url.href;
}
