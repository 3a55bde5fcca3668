/** Who the provider says signed in. */
export interface ProviderProfile {
  /** Stable id at the provider (OIDC `sub`, GitHub's numeric user id). */
  subject: string;
  /** Lower-cased; null when the provider gave none. */
  email: string | null;
  /** The provider asserts the user controls `email` (SPEC §13: the only ground for linking). */
  emailVerified: boolean;
  name: string | null;
}

export interface ProviderStart {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface ProviderCallback {
  /** Our callback URL as the provider called it, built on PUBLIC_URL. */
  callbackUrl: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** One configured provider. Implementations talk to it only through openid-client. */
export interface SocialProvider {
  /** `google`, `github`, or an OIDC_PROVIDERS name: also the identity's `provider`. */
  readonly name: string;
  /** The URL to send the browser to. May reach the provider (discovery). */
  authorizationUrl(start: ProviderStart): Promise<URL>;
  /** Redeems the callback's code and answers the verified profile. */
  complete(callback: ProviderCallback): Promise<ProviderProfile>;
}
