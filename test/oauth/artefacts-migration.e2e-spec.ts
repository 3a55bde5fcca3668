import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashedOAuthArtifacts1764401700000 } from '../../migrations/1764401700000-hashed-oauth-artifacts';
import { createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import { confidentialRelyingParty, RP_REDIRECT_URI } from './relying-party';
import { authorizeInBrowser, CookieJar } from './support';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const SCOPE = 'openid email offline_access users:read';

/** A refresh token and a provider session stored by an earlier release still work after 1764401700000. */
describe('OAuth artefacts stored in plain before the migration', () => {
  let t: TestApp;
  let configuration: oidc.Configuration;
  let email: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const tenant = await createTenant(t);
    configuration = await confidentialRelyingParty(t, tenant);
    email = uniqueEmail('user');
    await register(t, tenant.slug, email);
  });
  afterAll(() => t?.close());

  /** Puts a row back as the adapter wrote it before: under its raw id, with its `jti`. */
  async function storeAsBefore(model: string, raw: string): Promise<void> {
    const dataSource = t.app.get(DataSource);
    const [row] = await selectRows(t, 'oauth_artifacts', 'model = :model AND id = :id', {
      model,
      id: sha256(raw),
    });
    expect(row, model).toBeDefined();
    const payload = { ...(JSON.parse(String(row?.payload)) as object), jti: raw };
    await dataSource
      .createQueryBuilder()
      .update('oauth_artifacts')
      .set({ id: raw, payload: JSON.stringify(payload) })
      .where('model = :model AND id = :id', { model, id: sha256(raw) })
      .execute();
  }

  it('an old refresh token row still refreshes, and an old session still signs its browser in', async () => {
    const jar = new CookieJar();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: RP_REDIRECT_URI,
      scope: SCOPE,
      state: 'one',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const { location } = await authorizeInBrowser(url, { email }, { jar });
    const tokens = await oidc.authorizationCodeGrant(configuration, location, {
      pkceCodeVerifier: verifier,
      expectedState: 'one',
    });
    const refreshToken = tokens.refresh_token ?? '';
    const session = /(?:^|; )_session=([^;]+)/.exec(jar.header(new URL(url)))?.[1] ?? '';
    expect(session).not.toBe('');

    // The database as the previous release left it: these rows only, under their raw ids.
    await t.app
      .get(DataSource)
      .createQueryBuilder()
      .delete()
      .from('oauth_artifacts')
      .where('model NOT IN (:...kept)', { kept: ['Grant', 'RefreshToken', 'Session'] })
      .execute();
    await storeAsBefore('RefreshToken', refreshToken);
    await storeAsBefore('Session', session);

    const queryRunner = t.app.get(DataSource).createQueryRunner();
    try {
      await new HashedOAuthArtifacts1764401700000().up(queryRunner);
    } finally {
      await queryRunner.release();
    }
    const ids = (await selectRows(t, 'oauth_artifacts', '1 = 1', {})).map((row) => row.id);
    expect(ids).toContain(sha256(refreshToken));
    expect(ids).not.toContain(refreshToken);

    const refreshed = await oidc.refreshTokenGrant(configuration, refreshToken);
    expect(refreshed.access_token).toEqual(expect.any(String));
    const again = await authorizeInBrowser(
      oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: RP_REDIRECT_URI,
        scope: SCOPE,
        state: 'two',
      }),
      { email },
      { jar },
    );
    expect(again.pages.some((page) => page.includes('name="password"'))).toBe(false);
  });
});
