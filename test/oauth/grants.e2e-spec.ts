import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackgroundTasks } from '../../src/account/background-tasks';
import { MailService } from '../../src/mail/mail.service';
import { bearer, createTenant, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createApiKey } from '../factories/tenancy';
import { createTestApp, type TestApp } from '../support/app';
import { auditEvents, forgetTotpSteps, totp } from '../account/support/helpers';
import { linkOf, type ReceivedMail, SmtpSink, tokenOf } from '../account/support/smtp-sink';
import { RelyingParty, type RpTokens } from './relying-party';
import { CookieJar, tenantAdmin, tenantOwner } from './support';

const APP_URL = 'https://app.example.test';
const NEW_PASSWORD = 'another quite unusual passphrase';
const isResetLink = (mail: ReceivedMail) => linkOf(mail).pathname === '/reset-password';

/** F7: OAuth grants die with the credentials that made them, and users see and revoke them. */
describe('OAuth grants die with the credentials', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let admin: { accessToken: string; userId: string };
  let rp: RelyingParty;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await createTestApp({ listen: true, env: { SMTP_URL: sink.url, APP_URL } });
    tenant = await createTenant(t);
    admin = await tenantAdmin(t, tenant);
    rp = await RelyingParty.register(t, (await tenantOwner(t, tenant)).accessToken);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  /** A user of the tenant whose account some client holds a refresh token for. */
  async function victim(): Promise<{
    userId: string;
    email: string;
    accessToken: string;
    tokens: RpTokens;
    browser: CookieJar;
  }> {
    const email = uniqueEmail('victim');
    const { user, accessToken } = await register(t, tenant.slug, email);
    const browser = new CookieJar();
    const tokens = await rp.authorize({ email }, browser);
    expect(rp.asked).toEqual({ login: true, consent: true });
    return { userId: user.id, email, accessToken, tokens, browser };
  }

  /** Someone else's grant on the same client, which must outlive the victim's changes. */
  async function bystander(): Promise<RpTokens> {
    const email = uniqueEmail('bystander');
    await register(t, tenant.slug, email);
    return rp.authorize({ email });
  }

  async function expectAudited(reason: string): Promise<void> {
    const events = (await auditEvents(t, 'oauth.token.revoked', rp.client.id)).filter(
      (event) => event.metadata.reason === reason,
    );
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]?.metadata).toMatchObject({
      grantId: expect.any(String),
      clientId: rp.client.clientId,
    });
  }

  it('a password reset through the mailed link revokes the grant: refresh fails, access token refused within 10 s', async () => {
    const user = await victim();
    const other = await bystander();
    const forgot = await t
      .http()
      .post('/v1/auth/password/forgot')
      .send({ tenant: tenant.slug, email: user.email });
    expect(forgot.status).toBe(202);
    await t.app.get(BackgroundTasks).settled();
    await t.app.get(MailService).idle();
    const token = tokenOf(await sink.waitFor(user.email, isResetLink));
    const reset = await t
      .http()
      .post('/v1/auth/password/reset')
      .send({ token, newPassword: NEW_PASSWORD });
    expect(reset.status).toBe(204);

    await rp.expectRevoked(user.tokens);
    await rp.expectAlive(other);
    await expectAudited('password_reset');
    // The browser that signed in at the authorization server (the attacker's, say) is signed
    // out there too: no silent new grant; the password is asked, and consent again.
    await rp.authorize({ email: user.email, password: NEW_PASSWORD }, user.browser);
    expect(rp.asked).toEqual({ login: true, consent: true });
  });

  it('a password change revokes the grant', async () => {
    const user = await victim();
    const change = await t
      .http()
      .post('/v1/auth/password/change')
      .set(bearer(user.accessToken))
      .send({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
    expect(change.status).toBe(204);
    await rp.expectRevoked(user.tokens);
    await expectAudited('password_change');
  });

  it('logout everywhere revokes the grant', async () => {
    const user = await victim();
    const other = await bystander();
    const res = await t.http().post('/v1/auth/logout-all').set(bearer(user.accessToken));
    expect(res.status).toBe(204);
    await rp.expectRevoked(user.tokens);
    await rp.expectAlive(other);
    await expectAudited('logout_all');
  });

  it('turning MFA on revokes the grant, and so does turning it off', async () => {
    const user = await victim();
    const enroll = await t.http().post('/v1/auth/mfa/totp/enroll').set(bearer(user.accessToken));
    expect(enroll.status).toBe(200);
    const secret = enroll.body.secret as string;
    const confirm = await t
      .http()
      .post('/v1/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totp(secret) });
    expect(confirm.status).toBe(200);
    await rp.expectRevoked(user.tokens);
    await expectAudited('mfa_changed');

    // A new grant, signed in with the second factor, then MFA off: that grant dies too.
    const code = async () => {
      await forgetTotpSteps(t, user.userId);
      return totp(secret);
    };
    const tokens = await rp.authorize({ email: user.email, mfaCode: code });
    const session = await t
      .http()
      .post('/v1/auth/login')
      .send({
        tenant: tenant.slug,
        email: user.email,
        password: STRONG_PASSWORD,
        mfaCode: await code(),
      });
    expect(session.status).toBe(200);
    const disable = await t
      .http()
      .post('/v1/auth/mfa/totp/disable')
      .set(bearer(session.body.accessToken as string))
      .send({ password: STRONG_PASSWORD, code: await code() });
    expect(disable.status).toBe(204);
    await rp.expectRevoked(tokens);
  });

  it('an admin disabling the user revokes the grant: re-enabled, the old refresh token stays dead', async () => {
    const user = await victim();
    const setStatus = (status: string) =>
      t.http().patch(`/v1/users/${user.userId}`).set(bearer(admin.accessToken)).send({ status });
    expect((await setStatus('disabled')).status).toBe(200);
    expect((await setStatus('active')).status).toBe(200);
    await rp.expectRevoked(user.tokens);
    await expectAudited('user_disabled');
  });

  it('an admin deleting the user revokes the grant (audited as user_deleted)', async () => {
    const user = await victim();
    const removed = await t
      .http()
      .delete(`/v1/users/${user.userId}`)
      .set(bearer(admin.accessToken));
    expect(removed.status).toBe(204);
    await rp.expectRevoked(user.tokens);
    await expectAudited('user_deleted');
  });

  describe('GET/DELETE /v1/auth/grants', () => {
    it('lists the caller’s grant; DELETE revokes it (204) and the app must ask consent again', async () => {
      const user = await victim();
      const list = await t.http().get('/v1/auth/grants').set(bearer(user.accessToken));
      expect(list.status).toBe(200);
      expect(list.body).toEqual({
        items: [
          {
            id: expect.any(String),
            clientId: rp.client.clientId,
            clientName: rp.client.name,
            // `offline_access` asks for the refresh token; the grant holds what tokens carry.
            scopes: ['email', 'openid', 'users:read'],
            createdAt: expect.any(String),
            lastUsedAt: expect.any(String),
          },
        ],
        nextCursor: null,
      });
      const [grant] = list.body.items as { id: string; createdAt: string; lastUsedAt: string }[];
      expect(Date.parse(grant?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(grant?.createdAt ?? '') - 1000,
      );

      const removed = await t
        .http()
        .delete(`/v1/auth/grants/${grant?.id}`)
        .set(bearer(user.accessToken));
      expect(removed.status).toBe(204);
      await rp.expectRevoked(user.tokens);
      // Still signed in at the authorization server, but the app must ask consent again.
      const renewed = await rp.authorize({ email: user.email }, user.browser);
      expect(rp.asked).toEqual({ login: false, consent: true });
      const [fresh] = (await t.http().get('/v1/auth/grants').set(bearer(user.accessToken))).body
        .items as { id: string }[];
      expect(fresh?.id).not.toBe(grant?.id);
      await t.http().delete(`/v1/auth/grants/${fresh?.id}`).set(bearer(user.accessToken));
      await rp.expectRevoked(renewed);
      const after = await t.http().get('/v1/auth/grants').set(bearer(user.accessToken));
      expect(after.body).toEqual({ items: [], nextCursor: null });
      const again = await t
        .http()
        .delete(`/v1/auth/grants/${grant?.id}`)
        .set(bearer(user.accessToken));
      expect(again.status).toBe(404);
      const [event] = (await auditEvents(t, 'oauth.token.revoked', rp.client.id)).filter(
        (e) => e.metadata.grantId === grant?.id,
      );
      expect(event).toMatchObject({
        actorType: 'user',
        actorId: user.userId,
        metadata: { grantId: grant?.id, clientId: rp.client.clientId, reason: 'user_revoked' },
      });
    });

    it('pages with limit and cursor', async () => {
      const email = uniqueEmail('pager');
      const { accessToken } = await register(t, tenant.slug, email);
      const owner = await tenantOwner(t, tenant);
      const other = await RelyingParty.register(t, owner.accessToken, 'Second app');
      await rp.authorize({ email });
      await other.authorize({ email });
      const names = (body: { items: { clientName: string }[] }) =>
        body.items.map((grant) => grant.clientName);
      const first = await t.http().get('/v1/auth/grants?limit=1').set(bearer(accessToken));
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t
        .http()
        .get(`/v1/auth/grants?limit=1&cursor=${first.body.nextCursor}`)
        .set(bearer(accessToken));
      expect(second.body.nextCursor).toBeNull();
      expect([...names(first.body), ...names(second.body)].sort()).toEqual(
        [rp.client.name, 'Second app'].sort(),
      );
      const bad = await t.http().get('/v1/auth/grants?cursor=nonsense').set(bearer(accessToken));
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('validation_failed');
    });

    it("another user's grant id is 404 (same tenant or another), and their grant survives", async () => {
      const owner = await victim();
      const [grant] = (await t.http().get('/v1/auth/grants').set(bearer(owner.accessToken))).body
        .items as { id: string }[];
      const sameTenant = await register(t, tenant.slug, uniqueEmail('thief'));
      const elsewhere = await register(t, (await createTenant(t)).slug, uniqueEmail('thief'));
      for (const thief of [sameTenant, elsewhere]) {
        const res = await t
          .http()
          .delete(`/v1/auth/grants/${grant?.id}`)
          .set(bearer(thief.accessToken));
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('not_found');
      }
      await rp.expectAlive(owner.tokens);
    });

    it('an OAuth access token or an API key calling these routes gets 403', async () => {
      const user = await victim();
      const [grant] = (await t.http().get('/v1/auth/grants').set(bearer(user.accessToken))).body
        .items as { id: string }[];
      const key = await createApiKey(t, {
        token: admin.accessToken,
        userId: admin.userId,
        email: '',
        headers: bearer(admin.accessToken),
      });
      for (const headers of [bearer(user.tokens.access_token), key.headers]) {
        const list = await t.http().get('/v1/auth/grants').set(headers);
        expect(list.status).toBe(403);
        const revoke = await t.http().delete(`/v1/auth/grants/${grant?.id}`).set(headers);
        expect(revoke.status).toBe(403);
      }
      await rp.expectAlive(user.tokens);
    });
  });
});
