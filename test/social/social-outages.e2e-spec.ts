import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { CLOSED_PORT } from '../support/ports';
import { selectRows } from '../support/sql';
import { APP, PUBLIC_URL, socialAudit, startUrl } from './support/flows';
import { silentServer } from './support/unreachable';

/**
 * Providers that are down when a login starts (discovery fails): the browser goes back to the
 * checked redirect URI with ?error=temporarily_unavailable, never a hang and never a 500.
 */
describe('social login with a provider that is down', () => {
  let t: TestApp;
  let silent: { url: string; close: () => Promise<void> };
  let tenant: string;

  beforeAll(async () => {
    silent = await silentServer();
    const refused = `http://127.0.0.1:${CLOSED_PORT}`;
    t = await createTestApp({
      env: {
        PUBLIC_URL,
        APP_REDIRECT_ALLOWLIST: APP,
        SOCIAL_HTTP_TIMEOUT_MS: '2000',
        OIDC_PROVIDERS: JSON.stringify([
          { name: 'refused', issuer: refused, clientId: 'c', clientSecret: 's' },
          { name: 'silent', issuer: silent.url, clientId: 'c', clientSecret: 's' },
        ]),
      },
    });
    tenant = (await createTenant(t)).slug;
  });
  afterAll(async () => {
    await t?.close();
    await silent?.close();
  });

  for (const [provider, what] of [
    ['refused', 'connection refused'],
    ['silent', 'accepts and never answers: the timeout'],
  ] as const) {
    it(`${what}: 302 to redirect_uri?error=temporarily_unavailable`, async () => {
      const res = await t.http().get(startUrl(provider, tenant));
      expect(res.status).toBe(302);
      const back = new URL(res.headers.location);
      expect(`${back.origin}${back.pathname}`).toBe(APP);
      expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'temporarily_unavailable' });
      expect((await socialAudit(t, 'failure')).at(-1)?.metadata).toMatchObject({
        provider,
        reason: 'provider_unavailable',
      });
      // The abandoned flow's state is gone.
      expect(await selectRows(t, 'federation_states', '1 = 1', {})).toEqual([]);
    });
  }

  it('an unchecked redirect_uri is refused before the provider is even tried', async () => {
    const res = await t.http().get(startUrl('silent', tenant, 'https://evil.example.com/'));
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
  });
});
