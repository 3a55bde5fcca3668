import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows, updateRow } from '../support/sql';
import { Browser } from './support/browser';
import {
  APP,
  exchange,
  PUBLIC_URL,
  socialAudit,
  socialLogin,
  untilCallback,
} from './support/flows';
import { GitHubStub, type GitHubUser } from './support/github-stub';

/** GitHub is OAuth 2.0 without OIDC; a local server plays its OAuth endpoints and REST API. */
describe('social login with GitHub (a local OAuth 2.0 server)', () => {
  let t: TestApp;
  let github: GitHubStub;
  let tenant: string;
  let nextId = 1000;

  const browser = () => new Browser(t, PUBLIC_URL);
  const githubUser = (emails: GitHubUser['emails'], name: string | null = 'Grace'): GitHubUser => {
    nextId += 1;
    const user = { id: nextId, login: `octo${nextId}`, name, emails };
    github.nextUser = user;
    return user;
  };

  beforeAll(async () => {
    github = await GitHubStub.start('gh-client', 'gh-client-secret-0123456789');
    t = await createTestApp({
      env: {
        PUBLIC_URL,
        APP_REDIRECT_ALLOWLIST: APP,
        GITHUB_CLIENT_ID: 'gh-client',
        GITHUB_CLIENT_SECRET: 'gh-client-secret-0123456789',
        GITHUB_URL: github.url,
        GITHUB_API_URL: github.apiUrl,
        SOCIAL_HTTP_TIMEOUT_MS: '2000',
      },
    });
    tenant = (await createTenant(t)).slug;
  });
  afterAll(async () => {
    await t?.close();
    await github?.close();
  });

  it('walks the whole 302 chain to tokens with the verified primary email', async () => {
    const email = uniqueEmail('grace');
    const user = githubUser([
      { email: uniqueEmail('secondary'), primary: false, verified: true },
      { email, primary: true, verified: true },
    ]);
    const b = browser();
    const result = await socialLogin(b, 'github', tenant);
    const { pair, me } = await exchange(t, result.code);
    expect(me.user).toMatchObject({ email, emailVerified: true, name: 'Grace' });
    const identities = await t.http().get('/v1/auth/identities').set(bearer(pair.accessToken));
    expect(identities.body.items).toMatchObject([{ provider: 'github', email }]);
    const [row] = await selectRows(t, 'user_identities', 'user_id = :id', { id: me.user.id });
    expect(row?.subject).toBe(String(user.id));
  });

  it('the identity follows the numeric id, not the email or the login', async () => {
    const email = uniqueEmail('renamed');
    const user = githubUser([{ email, primary: true, verified: true }]);
    const first = await exchange(t, (await socialLogin(browser(), 'github', tenant)).code);
    github.nextUser = {
      ...user,
      login: 'renamed',
      emails: [{ email: uniqueEmail('new'), primary: true, verified: true }],
    };
    const again = await exchange(t, (await socialLogin(browser(), 'github', tenant)).code);
    expect(again.me.user.id).toBe(first.me.user.id);
  });

  it('links to an existing account only through a verified primary email', async () => {
    const email = uniqueEmail('linked');
    const local = await register(t, tenant, email);
    await updateRow(t, 'users', local.user.id, { emailVerified: true });
    githubUser([{ email, primary: true, verified: true }]);
    const { me } = await exchange(t, (await socialLogin(browser(), 'github', tenant)).code);
    expect(me.user.id).toBe(local.user.id);
  });

  it('an unverified primary email of an existing account answers ?error=account_exists', async () => {
    const email = uniqueEmail('taken');
    await register(t, tenant, email);
    githubUser([
      { email, primary: true, verified: false },
      { email: uniqueEmail('other'), primary: false, verified: true },
    ]);
    const result = await socialLogin(browser(), 'github', tenant);
    expect(result.error).toBe('account_exists');
    expect(result.code).toBeNull();
  });

  it('a verified secondary address does not link either: only the primary counts', async () => {
    const email = uniqueEmail('secondary');
    await register(t, tenant, email);
    githubUser([
      { email: uniqueEmail('primary'), primary: true, verified: false },
      { email, primary: false, verified: true },
    ]);
    const { me } = await exchange(t, (await socialLogin(browser(), 'github', tenant)).code);
    expect(me.user.email).not.toBe(email);
    expect(me.user.emailVerified).toBe(false);
  });

  it('a new unverified primary email creates a user with emailVerified: false', async () => {
    const email = uniqueEmail('unverified');
    githubUser([{ email, primary: true, verified: false }], null);
    const { me } = await exchange(t, (await socialLogin(browser(), 'github', tenant)).code);
    expect(me.user).toMatchObject({ email, emailVerified: false });
    expect(String(me.user.name)).toMatch(/^octo\d+$/);
  });

  it('a GitHub account without any email answers ?error=email_required', async () => {
    githubUser([]);
    expect((await socialLogin(browser(), 'github', tenant)).error).toBe('email_required');
  });

  it('a cancel at GitHub comes back as ?error=access_denied', async () => {
    githubUser([{ email: uniqueEmail(), primary: true, verified: true }]);
    github.cancelNext = true;
    const result = await socialLogin(browser(), 'github', tenant);
    expect(result.error).toBe('access_denied');
  });

  it('a forged code is refused by GitHub and ends in ?error=login_failed', async () => {
    githubUser([{ email: uniqueEmail(), primary: true, verified: true }]);
    const b = browser();
    const callback = new URL(await untilCallback(b, 'github', tenant));
    callback.searchParams.set('code', 'a-code-github-never-issued');
    const back = new URL((await b.get(callback.href)).location ?? '');
    expect(back.searchParams.get('error')).toBe('login_failed');
  });

  it('GitHub that never answers the token request: ?error=temporarily_unavailable after the timeout', async () => {
    githubUser([{ email: uniqueEmail(), primary: true, verified: true }]);
    const b = browser();
    const callback = await untilCallback(b, 'github', tenant);
    github.hang = true;
    try {
      const res = await b.get(callback);
      expect(res.status).toBe(302);
      const back = new URL(res.location ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(APP);
      expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'temporarily_unavailable' });
    } finally {
      github.hang = false;
    }
    expect((await socialAudit(t, 'failure')).at(-1)?.metadata.reason).toBe('provider_unavailable');
  });

  it('GitHub answering 503: ?error=temporarily_unavailable', async () => {
    githubUser([{ email: uniqueEmail(), primary: true, verified: true }]);
    const b = browser();
    const callback = await untilCallback(b, 'github', tenant);
    github.down = true;
    try {
      const back = new URL((await b.get(callback)).location ?? '');
      expect(back.searchParams.get('error')).toBe('temporarily_unavailable');
    } finally {
      github.down = false;
    }
  });
});
