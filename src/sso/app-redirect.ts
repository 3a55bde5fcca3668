import { AppError } from '../common/errors/app-error';

const MAX_REDIRECT_URI_LENGTH = 2048;

/**
 * Checks where a login may send the browser back to (SPEC §13 "Redirects"): the URI must equal
 * an entry of `APP_REDIRECT_ALLOWLIST` once its query string is removed. The query is the app's
 * own (its state, say); a fragment is refused, since the code is appended to the query.
 * Returns the URI as given; throws 400 `validation_failed` otherwise.
 */
export function assertAllowedRedirect(value: unknown, allowlist: readonly string[]): string {
  const refuse = (message: string) =>
    AppError.validation([{ field: 'redirect_uri', message }], 'The redirect URI is not allowed.');
  if (typeof value !== 'string' || value === '') throw refuse('is required');
  if (value.length > MAX_REDIRECT_URI_LENGTH) throw refuse('is too long');
  if (value.includes('#')) throw refuse('must not have a fragment');
  const queryAt = value.indexOf('?');
  const base = queryAt === -1 ? value : value.slice(0, queryAt);
  if (!allowlist.includes(base)) throw refuse('is not in APP_REDIRECT_ALLOWLIST');
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must be http(s)');
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw refuse('must be an absolute URL');
  }
  return value;
}

/** The app's redirect URI with the one-time code added to its query (replacing any `code`). */
export function withQuery(redirectUri: string, params: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/** What the app reads from our redirect: never one the app's own query brought along. */
const RESULT_PARAMETERS = ['code', 'error', 'error_description'];

/** The app's redirect URI with a login's `error` (its own query kept, minus result parameters). */
export function withError(redirectUri: string, error: string): string {
  const url = new URL(redirectUri);
  for (const name of RESULT_PARAMETERS) url.searchParams.delete(name);
  url.searchParams.set('error', error);
  return url.toString();
}
