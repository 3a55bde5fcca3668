import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantScope } from '../../src/common/database/tenant-scope';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { UserIdentitiesService } from '../../src/users/user-identities.service';
import { bearer, login, STRONG_PASSWORD } from '../factories';
import {
  type Actor,
  createApiKey,
  createMember,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { thirdPartyApp } from '../authorization/scoped-support';
import { createTestApp, type TestApp } from '../support/app';
import { selectRow } from '../support/sql';

/**
 * A third-party app holding a user's OAuth token, or whoever holds an API key, must never end
 * the user's sessions or change how the user signs in (F16).
 */
describe('account self-service refuses OAuth tokens and API keys', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let tokenFor: (user: Actor, scope: string) => Promise<string>;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    tenant = await createTenantWithOwner(t, await platformAdmin(t));
    ({ tokenFor } = await thirdPartyApp(t, await createMember(t, tenant, ['admin'])));
  });
  afterAll(() => t?.close());

  const selfService: [string, string, object?][] = [
    ['post', '/v1/auth/logout-all'],
    ['get', '/v1/auth/sessions'],
    ['delete', '/v1/auth/sessions/:session'],
    ['get', '/v1/auth/identities'],
    ['delete', '/v1/auth/identities/:identity'],
    ['post', '/v1/auth/mfa/totp/enroll'],
    ['post', '/v1/auth/mfa/totp/confirm', { code: '123456' }],
    ['post', '/v1/auth/mfa/totp/disable', { password: STRONG_PASSWORD, code: '123456' }],
    [
      'post',
      '/v1/auth/password/change',
      { currentPassword: STRONG_PASSWORD, newPassword: 'another long passphrase here' },
    ],
    ['post', '/v1/auth/email/resend'],
  ];

  async function victim(
    roles: string[],
  ): Promise<{ user: Actor; session: string; identity: string }> {
    const user = await createMember(t, tenant, roles);
    const sessions = await t.http().get('/v1/auth/sessions').set(user.headers).expect(200);
    const identity = await t.app.get(TenantScope).run(tenant.id, () =>
      t.app.get(TransactionRunner).run((manager) =>
        t.app.get(UserIdentitiesService).link(manager, {
          userId: user.userId,
          provider: 'google',
          subject: `google-${user.userId}`,
          email: user.email,
        }),
      ),
    );
    return { user, session: sessions.body.items[0].id as string, identity: identity.id };
  }

  async function expectUntouched(user: Actor, ids: { session: string; identity: string }) {
    // The user's sessions live on, the identity stays linked, password and MFA are unchanged.
    const sessions = await t.http().get('/v1/auth/sessions').set(user.headers);
    expect(sessions.status).toBe(200);
    expect(sessions.body.items.map((item: { id: string }) => item.id)).toContain(ids.session);
    const identities = await t.http().get('/v1/auth/identities').set(user.headers);
    expect(identities.body.items.map((item: { id: string }) => item.id)).toEqual([ids.identity]);
    await login(t, tenant.slug, user.email);
    expect(Boolean((await selectRow(t, 'users', user.userId)).mfa_enabled)).toBe(false);
  }

  async function attempts(
    headers: Record<string, string>,
    ids: { session: string; identity: string },
  ): Promise<void> {
    for (const [method, template, body] of selfService) {
      const path = template.replace(':session', ids.session).replace(':identity', ids.identity);
      const request = method === 'get' ? t.http().get(path) : t.http()[method as 'post'](path);
      const res = await request.set(headers).send(body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.code, `${method} ${path}`).toBe('forbidden');
    }
  }

  it('an OAuth token, whatever its scopes, cannot log the user out or change how they sign in', async () => {
    const { user, session, identity } = await victim(['member']);
    const token = await tokenFor(user, 'openid profile email users:read roles:write');
    await attempts(bearer(token), { session, identity });
    await expectUntouched(user, { session, identity });
  });

  it('an API key cannot either', async () => {
    // Admins may make keys; the key has all its creator's roles.
    const { user, session, identity } = await victim(['admin']);
    const key = await createApiKey(t, user);
    await attempts(key.headers, { session, identity });
    await expectUntouched(user, { session, identity });
  });
});
