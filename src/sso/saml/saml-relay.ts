import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import { SsoRefusal } from '../sso-refusal';
import { SsoStateStore } from '../sso-state.store';
import { SAML_REQUEST_TTL_MS } from './saml-browser-binding';

/** What the login start keeps for the ACS, under the AuthnRequest's id. */
export interface SamlRelay {
  redirectUri: string;
  /** SHA-256 of the browser-binding cookie of the browser that started the login. */
  bindingHash: string;
  codeChallenge?: string;
}

/**
 * node-saml's request-id cache on our shared store, one namespace per connection: a response
 * is only ever matched with a request sent for the same connection, on any instance.
 */
export class SamlRequestCache implements CacheProvider {
  constructor(
    private readonly store: SsoStateStore,
    private readonly connectionId: string,
  ) {}

  private key(id: string): string {
    return `saml-request:${this.connectionId}:${id}`;
  }

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    await this.store.put(this.key(key), value, SAML_REQUEST_TTL_MS);
    return { value, createdAt: Date.now() };
  }

  getAsync(key: string): Promise<string | null> {
    return this.store.get(this.key(key));
  }

  async removeAsync(key: string | null): Promise<string | null> {
    return key ? this.store.take(this.key(key)) : null;
  }
}

export function relayKey(connectionId: string, requestId: string): string {
  return `saml-relay:${connectionId}:${requestId}`;
}

/** The stored relay, once the request is shown to come from the browser that started it. */
export function assertBound(stored: string, boundTo: (bindingHash: string) => boolean): SamlRelay {
  let relay: Partial<SamlRelay> | null = null;
  try {
    relay = JSON.parse(stored) as Partial<SamlRelay> | null;
  } catch {
    // A relay written before the binding existed: it has no browser to match.
  }
  if (
    typeof relay?.redirectUri !== 'string' ||
    typeof relay.bindingHash !== 'string' ||
    !boundTo(relay.bindingHash)
  ) {
    throw new SsoRefusal(
      'browser_binding',
      'The response came to a browser that did not start the login',
    );
  }
  return relay as SamlRelay;
}
