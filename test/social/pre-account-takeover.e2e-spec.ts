import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, createTenant, login, register, uniqueEmail } from '../factories';
import { auditEvents } from '../account/support/helpers';
import { SmtpSink, tokenOf } from '../account/support/smtp-sink';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';
import { Browser } from './support/browser';
import { APP, exchange, PUBLIC_URL, socialAudit, socialLogin } from './support/flows';
import { TestOidcProvider } from './support/test-oidc-provider';

const SECRET = 'google-client-secret-0123456789';

/**
 * Review F6, played by the attacker: they register the victim's address with a password of
 * their own and never verify it, waiting for the victim's first "Sign in with Google". The
 * Google account (a real local OpenID provider) asserts a verified email.
 */
describe('pre-account takeover through social login (F6)', () => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let sink: SmtpSink;
  let tenant: { id: string; slug: string };
  let counter = 0;

  const googleAccount = (email: string) => {
    counter += 1;
    const id = `google-victim-${counter}-${Date.now()}`;
    idp.addAccount(id, { email, emailVerified: true, name: 'Victor Victim' });
    return id;
  };

  beforeAll(async () => {
    sink = await SmtpSink.start();
    idp = await TestOidcProvider.start([
      {
        clientId: 'gatehouse-google',
        clientSecret: SECRET,
        redirectUris: [`${PUBLIC_URL}/v1/auth/social/google/callback`],
      },
    ]);
    t = await createTestApp({
      env: {
        PUBLIC_URL,
        APP_REDIRECT_ALLOWLIST: APP,
        GOOGLE_CLIENT_ID: 'gatehouse-google',
        GOOGLE_CLIENT_SECRET: SECRET,
        GOOGLE_ISSUER: idp.issuer,
        SMTP_URL: sink.url,
      },
    });
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await sink?.close();
  });

  /** An account whose holder proved the mailbox with the link mailed at registration. */
  async function verifiedAccount(email: string) {
    const account = await register(t, tenant.slug, email);
    const mail = await sink.waitFor(email, (m) => m.subject.startsWith('Confirm your email'));
    const res = await t
      .http()
      .post('/v1/auth/email/verify')
      .send({ token: tokenOf(mail) });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    return account;
  }

  it('an unverified account squatting the victim’s address is never linked: ?error=account_exists, no identity, no code', async () => {
    const email = uniqueEmail('victim');
    const squatter = await register(t, tenant.slug, email);
    const subject = googleAccount(email);
    const usersBefore = await selectRows(t, 'users', 'tenant_id = :id', { id: tenant.id });

    const result = await socialLogin(new Browser(t, PUBLIC_URL), 'google', tenant.slug);
    expect(result.code).toBeNull();
    expect(result.error).toBe('account_exists');
    expect([...result.back.searchParams.keys()]).toEqual(['error']);

    expect(await selectRows(t, 'user_identities', 'subject = :subject', { subject })).toEqual([]);
    expect(await selectRows(t, 'users', 'tenant_id = :id', { id: tenant.id })).toHaveLength(
      usersBefore.length,
    );
    expect((await socialAudit(t, 'failure')).at(-1)).toMatchObject({
      tenantId: tenant.id,
      metadata: { provider: 'google', reason: 'account_not_verified', error: 'account_exists' },
    });
    expect(await auditEvents(t, 'auth.identity.linked', squatter.user.id)).toEqual([]);

    // The squatter's password still opens only the squatter's empty account.
    const pair = await login(t, tenant.slug, email);
    const identities = await t.http().get('/v1/auth/identities').set(bearer(pair.accessToken));
    expect(identities.body.items).toEqual([]);
  });

  it('a verified account links on a verified provider email: audited, and its holder is mailed', async () => {
    const email = uniqueEmail('holder');
    const holder = await verifiedAccount(email);
    const subject = googleAccount(email);

    const { me } = await exchange(
      t,
      (await socialLogin(new Browser(t, PUBLIC_URL), 'google', tenant.slug)).code,
    );
    expect(me.user.id).toBe(holder.user.id);
    const [identity] = await selectRows(t, 'user_identities', 'subject = :subject', { subject });
    expect(identity).toMatchObject({ user_id: holder.user.id, provider: 'google' });

    const linked = await auditEvents(t, 'auth.identity.linked', holder.user.id);
    expect(linked).toHaveLength(1);
    expect(linked[0]).toMatchObject({ outcome: 'success', tenantId: tenant.id });
    expect(linked[0].metadata).toEqual({
      provider: 'google',
      identityId: identity.id,
      method: 'social',
    });

    const mail = await sink.waitFor(email, (m) => m.subject.includes('new sign-in method'));
    expect(mail.subject).toBe('A new sign-in method was added to your Test tenant account');
    expect(mail.text).toContain('sign-in with Google');
    expect(mail.text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(mail.text).toContain('If it was not you');
    // A notice, not a key: no link, no token, no subject identifier.
    expect(mail.text).not.toMatch(/https?:\/\//);
    expect(mail.html).not.toContain('href=');
    expect(mail.raw).not.toContain(subject);
  });

  it('a second login through the linked identity is no new link: no second audit event or mail', async () => {
    const email = uniqueEmail('again');
    const holder = await verifiedAccount(email);
    googleAccount(email);
    await exchange(t, (await socialLogin(new Browser(t, PUBLIC_URL), 'google', tenant.slug)).code);
    await sink.waitFor(email, (m) => m.subject.includes('new sign-in method'));
    await exchange(t, (await socialLogin(new Browser(t, PUBLIC_URL), 'google', tenant.slug)).code);
    expect(await auditEvents(t, 'auth.identity.linked', holder.user.id)).toHaveLength(1);
  });

  it('a refused notice mail does not fail the login', async () => {
    const email = uniqueEmail('nomail');
    const holder = await verifiedAccount(email);
    googleAccount(email);
    const deliveries = sink.deliveries;
    sink.refuseNext(1, 550);
    const result = await socialLogin(new Browser(t, PUBLIC_URL), 'google', tenant.slug);
    expect(result.error).toBeNull();
    const { me } = await exchange(t, result.code);
    expect(me.user.id).toBe(holder.user.id);
    // The notice was tried and refused, and the login stood regardless.
    await vi.waitFor(() => expect(sink.deliveries).toBe(deliveries + 1), { timeout: 10_000 });
    expect(sink.mailsTo(email).filter((m) => m.subject.includes('new sign-in method'))).toEqual([]);
  });
});
