import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantScope } from '../../src/common/database/tenant-scope';
import { OneTimeCodeService } from '../../src/auth/exchange/one-time-code.service';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { UserAccountsService } from '../../src/users/user-accounts.service';
import { UserIdentitiesService } from '../../src/users/user-identities.service';
import { bearer, createTenant, register, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';

describe('GET/DELETE /v1/auth/identities', () => {
  let t: TestApp;
  let tenantId: string;
  let tenantSlug: string;
  let counter = 0;

  beforeAll(async () => {
    t = await createTestApp();
    const tenant = await createTenant(t);
    tenantId = tenant.id;
    tenantSlug = tenant.slug;
  });
  afterAll(() => t.close());

  const link = (userId: string, provider: string, inTenant = tenantId) => {
    counter += 1;
    return t.app.get(TenantScope).run(inTenant, () =>
      t.app.get(TransactionRunner).run((manager) =>
        t.app.get(UserIdentitiesService).link(manager, {
          userId,
          provider,
          subject: `subject-${counter}`,
          email: `linked-${counter}@example.com`,
        }),
      ),
    );
  };

  /** A user who has only ever signed in through providers (no password), and a token of theirs. */
  const providerOnlyUser = async (inTenant = tenantId) => {
    const user = await t.app
      .get(TenantScope)
      .run(inTenant, () =>
        t.app
          .get(TransactionRunner)
          .run((manager) =>
            t.app
              .get(UserAccountsService)
              .create(manager, { email: uniqueEmail('social'), roleNames: ['member'] }, null),
          ),
      );
    const code = await t.app.get(OneTimeCodeService).issue(user, 'social');
    const pair = await t.http().post('/v1/auth/exchange').send({ code });
    return { user, token: pair.body.accessToken as string };
  };

  it('lists the caller’s social and SSO identities, and nobody else’s', async () => {
    const { user, token } = await providerOnlyUser();
    const google = await link(user.id, 'google');
    const sso = await link(user.id, 'sso:01a2265f-c2a8-713e-bb84-7f187e7a089f');
    const other = await register(t, tenantSlug);
    await link(other.user.id, 'github');

    const res = await t.http().get('/v1/auth/identities').set(bearer(token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        {
          id: google.id,
          provider: 'google',
          email: google.email,
          createdAt: google.createdAt.toISOString(),
          lastUsedAt: expect.any(String),
        },
        expect.objectContaining({ id: sso.id, provider: sso.provider }),
      ],
      nextCursor: null,
    });
    expect(JSON.stringify(res.body)).not.toContain('subject');
  });

  it('needs a bearer token', async () => {
    expect((await t.http().get('/v1/auth/identities')).status).toBe(401);
    const any = '01a2265f-c2a8-713e-bb84-7f187e7a089f';
    expect((await t.http().delete(`/v1/auth/identities/${any}`)).status).toBe(401);
  });

  it('unlinking the last way to sign in (no password, one identity) answers 409 conflict', async () => {
    const { user, token } = await providerOnlyUser();
    const only = await link(user.id, 'google');
    const res = await t.http().delete(`/v1/auth/identities/${only.id}`).set(bearer(token));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('conflict');
    expect(await selectRows(t, 'user_identities', 'id = :id', { id: only.id })).toHaveLength(1);
  });

  it('with another identity left, one may go: 204, then the last one stays', async () => {
    const { user, token } = await providerOnlyUser();
    const google = await link(user.id, 'google');
    const github = await link(user.id, 'github');
    expect(
      (await t.http().delete(`/v1/auth/identities/${google.id}`).set(bearer(token))).status,
    ).toBe(204);
    const list = await t.http().get('/v1/auth/identities').set(bearer(token));
    expect(list.body.items.map((item: { id: string }) => item.id)).toEqual([github.id]);
    expect(
      (await t.http().delete(`/v1/auth/identities/${github.id}`).set(bearer(token))).status,
    ).toBe(409);
  });

  it('a user with a password may unlink every identity', async () => {
    const local = await register(t, tenantSlug);
    const google = await link(local.user.id, 'google');
    const res = await t
      .http()
      .delete(`/v1/auth/identities/${google.id}`)
      .set(bearer(local.accessToken));
    expect(res.status).toBe(204);
    expect(await selectRows(t, 'user_identities', 'id = :id', { id: google.id })).toEqual([]);
    await t.flushAudit();
    const events = await selectRows(t, 'audit_events', 'action = :action AND target_id = :id', {
      action: 'auth.identity.unlinked',
      id: local.user.id,
    });
    expect(events).toHaveLength(1);
  });

  it('another user’s identity, another tenant’s, an unknown id and a malformed id answer 404', async () => {
    const me = await register(t, tenantSlug);
    await link(me.user.id, 'google');
    const neighbour = await register(t, tenantSlug);
    const theirs = await link(neighbour.user.id, 'google');
    const elsewhere = await createTenant(t);
    const stranger = await providerOnlyUser(elsewhere.id);
    const foreign = await link(stranger.user.id, 'google', elsewhere.id);
    for (const id of [
      theirs.id,
      foreign.id,
      '01a2265f-c2a8-713e-bb84-7f187e7a0000',
      'not-a-uuid',
      "1' OR '1'='1",
    ]) {
      const res = await t
        .http()
        .delete(`/v1/auth/identities/${encodeURIComponent(id)}`)
        .set(bearer(me.accessToken));
      expect(res.status, id).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    expect(await selectRows(t, 'user_identities', 'id = :id', { id: theirs.id })).toHaveLength(1);
    expect(await selectRows(t, 'user_identities', 'id = :id', { id: foreign.id })).toHaveLength(1);
  });

  it('two concurrent unlinks of a provider-only user’s two identities leave one', async () => {
    const { user, token } = await providerOnlyUser();
    const first = await link(user.id, 'google');
    const second = await link(user.id, 'github');
    const answers = await Promise.all(
      [first, second].map((identity) =>
        t.http().delete(`/v1/auth/identities/${identity.id}`).set(bearer(token)),
      ),
    );
    expect(answers.map((res) => res.status).sort()).toEqual([204, 409]);
    expect(await selectRows(t, 'user_identities', 'user_id = :id', { id: user.id })).toHaveLength(
      1,
    );
  });
});
