// Gatehouse's API through openapi-fetch: paths, bodies, parameters and answers are the types
// openapi-typescript generated from the served OpenAPI document (src/gatehouse.d.ts).
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './gatehouse.js';

export type Schemas = components['schemas'];
export type Problem = Schemas['ProblemResponseDto'];
export type TokenPair = Schemas['TokenPairDto'];
export type GatehouseClient = ReturnType<typeof createClient<paths>>;

/** A client for `baseUrl` (Gatehouse's PUBLIC_URL); with `accessToken`, every call carries it. */
export function gatehouse(baseUrl: string, accessToken?: string): GatehouseClient {
  const client = createClient<paths>({ baseUrl });
  if (accessToken) client.use(bearer(accessToken));
  return client;
}

function bearer(accessToken: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${accessToken}`);
      return request;
    },
  };
}

type Answer<T> =
  | { data: T; error?: never; response: Response }
  | { data?: never; error: Problem; response: Response };

/**
 * The answer's body when Gatehouse answered `status`; otherwise throws with the problem's
 * `code`. The body's type is the one the document gives that operation's success answer.
 */
export async function expectStatus<T>(
  what: string,
  status: number,
  call: Promise<Answer<T>>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.status !== status) {
    const reason = error ? `${error.code}: ${error.detail}` : 'no error';
    throw new Error(`${what}: answered ${response.status} (${reason}), expected ${status}`);
  }
  if (error) throw new Error(`${what}: ${status} but openapi-fetch saw an error`);
  return data;
}

/** The problem Gatehouse answered with `status` (an error the document describes). */
export async function expectProblem(
  what: string,
  status: number,
  call: Promise<Answer<unknown>>,
): Promise<Problem> {
  const { error, response } = await call;
  if (response.status !== status || !error) {
    throw new Error(`${what}: answered ${response.status}, expected ${status}`);
  }
  return error;
}
