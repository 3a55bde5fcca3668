import * as client from 'openid-client';

/**
 * A provider could not be reached, did not answer in time, or answered 5xx. Kept apart from
 * "the provider answered something we refuse": the first is `temporarily_unavailable` for the
 * user, the second a failed login.
 */
export class UpstreamUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamUnavailableError';
  }
}

const TIMEOUT_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT']);
const UNAVAILABLE_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

/**
 * The fetch every upstream call goes through: each request (and the reading of its body) is
 * bound by `AbortSignal.timeout`, so a provider that accepts the connection and never answers
 * costs at most `timeoutMs`. Network failures and 5xx answers become `UpstreamUnavailableError`.
 * openid-client calls it for discovery, token, userinfo and JWKS requests (`customFetch`).
 */
export function boundedFetch(timeoutMs: number): client.CustomFetch {
  return async (url, options) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(url, { ...options, signal });
    } catch (error) {
      throw new UpstreamUnavailableError(`Request to ${new URL(url).origin} failed`, {
        cause: error,
      });
    }
    if (response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamUnavailableError(`${new URL(url).origin} answered HTTP ${response.status}`);
    }
    return response;
  };
}

/**
 * True when an error (openid-client wraps what fetch throws, sometimes twice) means the
 * provider is unavailable rather than wrong.
 */
export function isUpstreamUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (current instanceof UpstreamUnavailableError) return true;
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return true;
    if (
      current instanceof client.ResponseBodyError &&
      (current.status >= 500 || UNAVAILABLE_OAUTH_ERRORS.has(current.error))
    ) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/**
 * GET a JSON resource with a bearer token through the bounded fetch (the GitHub API, which is
 * not an OIDC userinfo endpoint). Any answer but 200 with a JSON body is an error.
 */
export async function getJson(
  fetchFn: client.CustomFetch,
  url: string,
  accessToken: string,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const response = await fetchFn(url, {
    method: 'GET',
    headers: { accept: 'application/json', authorization: `Bearer ${accessToken}`, ...headers },
    body: undefined,
    redirect: 'manual',
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`${new URL(url).pathname} answered HTTP ${response.status}`);
  }
  try {
    return await response.json();
  } catch (error) {
    if (isUpstreamUnavailable(error))
      throw new UpstreamUnavailableError('Body timed out', { cause: error });
    throw new Error(`${new URL(url).pathname} did not answer JSON`, { cause: error });
  }
}
