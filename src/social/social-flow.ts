/** The longest query parameter the callback reads. */
const MAX_PARAMETER_LENGTH = 4096;

/** What the start keeps server-side for the callback. */
export interface SocialFlow {
  provider: string;
  tenantId: string;
  redirectUri: string;
  nonce: string;
  codeVerifier: string;
  bindingHash: string;
  /** The app's PKCE challenge for the one-time code; absent in flows started before it. */
  codeChallenge?: string | null;
}

/** A parameter given exactly once, within bounds; null otherwise. */
export function single(params: URLSearchParams, name: string): string | null {
  const values = params.getAll(name);
  const value = values[0];
  return values.length === 1 && value && value.length <= MAX_PARAMETER_LENGTH ? value : null;
}

/** The flow a state held, or null when it is not one (a state of another shape or version). */
export function asFlow(data: unknown): SocialFlow | null {
  if (typeof data !== 'object' || data === null) return null;
  const flow = data as Record<string, unknown>;
  const keys: (keyof SocialFlow)[] = [
    'provider',
    'tenantId',
    'redirectUri',
    'nonce',
    'codeVerifier',
    'bindingHash',
  ];
  const challenge = flow.codeChallenge;
  const challengeOk =
    challenge === undefined || challenge === null || typeof challenge === 'string';
  return keys.every((key) => typeof flow[key] === 'string') && challengeOk
    ? (data as SocialFlow)
    : null;
}
