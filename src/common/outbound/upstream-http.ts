import * as client from 'openid-client';
import { type BodyInit as UndiciBody, type Dispatcher, fetch as undiciFetch } from 'undici';

/** The largest body read from an upstream (discovery, JWKS, token, userinfo): SPEC §14. */
export const UPSTREAM_BODY_LIMIT = 256 * 1024;

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

/**
 * The outbound client would not go there: a refused address, a redirect, an oversized body.
 * For the login it is the same as an upstream that is down (503 `upstream_unavailable`).
 */
export class OutboundRefusedError extends UpstreamUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

const TIMEOUT_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT']);
const UNAVAILABLE_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * The fetch every upstream call goes through (openid-client's `customFetch` for discovery,
 * token, userinfo and JWKS requests). Each request and the reading of its body is bound by
 * `AbortSignal.timeout`; redirects are never followed (a 3xx is refused: it could point
 * anywhere); bodies past 256 kB are refused; network failures and 5xx answers become
 * `UpstreamUnavailableError`. `dispatcher` is the outbound client's address-checking agent for
 * tenant-configured upstreams; operator-configured ones go without (`OutboundHttp`).
 */
export function boundedFetch(timeoutMs: number, dispatcher?: Dispatcher): client.CustomFetch {
  return async (url, options) => {
    const origin = new URL(url).origin;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      response = await undiciFetch(url, {
        method: options.method,
        headers: options.headers,
        body: options.body as UndiciBody | undefined,
        redirect: 'manual',
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (error) {
      throw (
        refusedIn(error) ??
        new UpstreamUnavailableError(`Request to ${origin} failed`, {
          cause: error,
        })
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new OutboundRefusedError(`${origin} answered a redirect, which is not followed`);
    }
    if (response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamUnavailableError(`${origin} answered HTTP ${response.status}`);
    }
    const body = await readCapped(response, origin);
    return new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
    });
  };
}

/** The whole body, refused past `UPSTREAM_BODY_LIMIT` before more of it is read. */
async function readCapped(
  response: Awaited<ReturnType<typeof undiciFetch>>,
  origin: string,
): Promise<Uint8Array> {
  const tooLarge = () => new OutboundRefusedError(`${origin} answered more than 256 kB`);
  if (Number(response.headers.get('content-length') ?? 0) > UPSTREAM_BODY_LIMIT) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // Breaking out (the throw) cancels the stream: the rest is never read.
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > UPSTREAM_BODY_LIMIT) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof OutboundRefusedError) throw error;
    throw new UpstreamUnavailableError(`Reading the answer of ${origin} failed`, { cause: error });
  }
  return Buffer.concat(chunks);
}

/** The refusal of the address check, from under undici's `TypeError: fetch failed`. */
function refusedIn(error: unknown): OutboundRefusedError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof OutboundRefusedError) return current;
    current = current.cause;
  }
  return null;
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
