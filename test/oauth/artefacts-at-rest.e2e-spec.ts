import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import { confidentialRelyingParty, RP_REDIRECT_URI } from './relying-party';
import { authorizeInBrowser, browserFetch, CookieJar, decodeJwt, hiddenField } from './support';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A browser that remembers every cookie value the provider ever set (not the `.sig` MACs). */
class RecordingJar extends CookieJar {
  readonly seen = new Map<string, string[]>();

  override store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      if (value && !name.endsWith('.sig'))
        this.seen.set(name, [...(this.seen.get(name) ?? []), value]);
    }
    super.store(response);
  }

  values(name: string): string[] {
    return this.seen.get(name) ?? [];
  }
}

/** F8: what a stolen database or backup holds of the authorization server is no credential. */
describe('OAuth artefacts at rest (sha256 of their ids)', () => {
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let configuration: oidc.Configuration;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    tenant = await createTenant(t);
    configuration = await confidentialRelyingParty(t, tenant);
  });
  afterAll(() => t?.close());

  /** Every row of the table, raw, as one text per row (ids, columns and payload). */
  async function dump(): Promise<{ model: string; id: string; text: string }[]> {
    const rows = await selectRows(t, 'oauth_artifacts', '1 = 1', {});
    return rows.map((row) => ({
      model: String(row.model),
      id: String(row.id),
      text: JSON.stringify(row),
    }));
  }

  /** Asserts no row holds any of the values, and that each is stored as a hash (a control). */
  async function expectHashedOnly(secrets: Record<string, { model: string; value: string }>) {
    const rows = await dump();
    for (const [name, { model, value }] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(20);
      const leaks = rows.filter((row) => row.text.includes(value)).map((row) => row.model);
      expect(leaks, `${name} found in the table`).toEqual([]);
      expect(
        rows.some((row) => row.model === model && row.id === sha256(value)),
        name,
      ).toBe(true);
    }
  }

  /**
   * A user through login and consent with code + PKCE and `offline_access`, reading the table
   * at each step as an attacker with a database dump would.
   */
  async function codeFlow(email: string, jar = new RecordingJar()) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: RP_REDIRECT_URI,
      scope: 'openid email offline_access users:read',
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    // The login page: the interaction in progress, its id in the `_interaction` cookie.
    const first = await browserFetch(jar, url);
    const interactionPage = new URL(first.headers.get('location') ?? '', url);
    const [interaction] = jar.values('_interaction');
    await expectHashedOnly({ interaction: { model: 'Interaction', value: interaction ?? '' } });

    // Signed in, at the consent page: the session and a second interaction that refers to it.
    const loginPage = await (await browserFetch(jar, interactionPage)).text();
    const login = await browserFetch(jar, new URL(`${interactionPage.pathname}/login`, url), {
      form: { csrf: hiddenField(loginPage, 'csrf'), email, password: STRONG_PASSWORD },
    });
    let consentPage = new URL(login.headers.get('location') ?? '', url);
    for (let step = 0; step < 4 && consentPage.pathname.startsWith('/oidc/auth'); step++) {
      const next = await browserFetch(jar, consentPage);
      consentPage = new URL(next.headers.get('location') ?? '', consentPage);
    }
    expect(consentPage.pathname).toMatch(/^\/oidc\/interaction\//);
    const session = jar.values('_session').at(-1) ?? '';
    await expectHashedOnly({
      session: { model: 'Session', value: session },
      consentInteraction: { model: 'Interaction', value: jar.values('_interaction').at(-1) ?? '' },
    });

    const { location } = await authorizeInBrowser(consentPage, { email }, { jar });
    const code = location.searchParams.get('code') ?? '';
    await expectHashedOnly({ code: { model: 'AuthorizationCode', value: code } });
    const tokens = await oidc.authorizationCodeGrant(configuration, location, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    return {
      tokens,
      code,
      location,
      verifier,
      state,
      jar,
    };
  }

  it('after a code flow no row holds the refresh token, the code, the cookies or the access token id; the tokens still work', async () => {
    const email = uniqueEmail('user');
    const { accessToken } = await register(t, tenant.slug, email);
    const flow = await codeFlow(email);
    const refreshToken = flow.tokens.refresh_token ?? '';
    const jti = String(decodeJwt(flow.tokens.access_token).payload.jti);
    await expectHashedOnly({
      refreshToken: { model: 'RefreshToken', value: refreshToken },
      accessTokenId: { model: 'AccessToken', value: jti },
      // Signing in and consenting each gave the session a new id (and cookie): the last one.
      session: { model: 'Session', value: flow.jar.values('_session').at(-1) ?? '' },
    });
    const everything = (await dump()).map((row) => row.text).join('\n');
    const cookies = ['_session', '_interaction', '_interaction_resume'].flatMap((name) =>
      flow.jar.values(name),
    );
    expect(cookies.length).toBeGreaterThanOrEqual(6);
    for (const value of [flow.code, ...cookies]) expect(everything).not.toContain(value);

    // The access token is accepted, the refresh token still refreshes, and so does its successor.
    expect((await t.http().get('/v1/auth/me').set(bearer(flow.tokens.access_token))).status).toBe(
      200,
    );
    const refreshed = await oidc.refreshTokenGrant(configuration, refreshToken);
    await expectHashedOnly({
      refreshToken: { model: 'RefreshToken', value: refreshed.refresh_token ?? '' },
    });
    const again = await oidc.refreshTokenGrant(configuration, refreshed.refresh_token ?? '');

    // The provider session is found by its cookie: a second authorization asks for no password.
    const second = await authorizeInBrowser(
      oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: RP_REDIRECT_URI,
        scope: 'openid email offline_access users:read',
        state: 'second',
      }),
      { email },
      { jar: flow.jar },
    );
    expect(second.pages.some((page) => page.includes('name="password"'))).toBe(false);
    expect(second.location.searchParams.get('code')).toEqual(expect.any(String));

    // The user still sees the grant by its id, and revoking it kills the stored refresh token.
    const list = await t.http().get('/v1/auth/grants').set(bearer(accessToken));
    expect(list.status).toBe(200);
    const ids = (list.body.items as { id: string }[]).map((grant) => grant.id);
    expect(ids).toHaveLength(1);
    const removed = await t.http().delete(`/v1/auth/grants/${ids[0]}`).set(bearer(accessToken));
    expect(removed.status).toBe(204);
    await expect(
      oidc.refreshTokenGrant(configuration, again.refresh_token ?? ''),
    ).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('a used code replayed (found by its hash) is refused and revokes what it issued', async () => {
    const email = uniqueEmail('replay');
    await register(t, tenant.slug, email);
    const flow = await codeFlow(email);
    await expect(
      oidc.authorizationCodeGrant(configuration, flow.location, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(
      oidc.refreshTokenGrant(configuration, flow.tokens.refresh_token ?? ''),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a refresh token revoked at the revocation endpoint (found by its hash) stops refreshing', async () => {
    const email = uniqueEmail('revoke');
    await register(t, tenant.slug, email);
    const { tokens } = await codeFlow(email);
    const refreshToken = tokens.refresh_token ?? '';
    await oidc.tokenRevocation(configuration, refreshToken);
    expect((await dump()).some((row) => row.id === sha256(refreshToken))).toBe(false);
    await expect(oidc.refreshTokenGrant(configuration, refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
