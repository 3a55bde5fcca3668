/**
 * `redirect_uri` of a social or SSO login, checked against APP_REDIRECT_ALLOWLIST (SPEC §13):
 * it must equal an entry once its query string is removed. Both sides are parsed, so
 * spelling differences the URL standard erases (host case, default port) do not matter, and
 * nothing else is lenient: no prefix, subdomain or path matching. Answers null when refused.
 */
export function allowedRedirect(candidate: string, allowlist: readonly string[]): URL | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  const withoutQuery = new URL(url.href);
  withoutQuery.search = '';
  const allowed = allowlist.some((entry) => {
    try {
      const normalised = new URL(entry);
      normalised.search = '';
      return normalised.href === withoutQuery.href;
    } catch {
      return false;
    }
  });
  return allowed ? url : null;
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
