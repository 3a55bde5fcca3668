import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'supertest';
import { DataSource, type EntitySubscriberInterface } from 'typeorm';
import { User } from '../../src/users/entities/user.entity';
import { login } from '../factories';
import {
  type Actor,
  createMember,
  createRole,
  createTenantWithOwner,
  platformAdmin,
  type TenantFixture,
} from '../factories/tenancy';
import { createIdpKeys, type IdpKeys, removeIdpKeys } from '../sso/support/saml-idp';
import { SSO_ENV, uniqueDomain } from '../sso/support/sso-fixtures';
import { TestDns } from '../sso/support/test-dns';
import { createTestApp, type TestApp } from '../support/app';

/** The answer of a refused precondition: 412 problem+json `precondition_failed`. */
function expectPreconditionFailed(res: Response): void {
  expect(res.status, JSON.stringify(res.body)).toBe(412);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 412, code: 'precondition_failed' });
}

/** A strong ETag that quotes the `version` of the body. */
function etagOf(res: Response): string {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const etag = res.headers.etag as string | undefined;
  expect(etag).toMatch(/^"\d+"$/);
  expect(etag).toBe(`"${res.body.version}"`);
  return etag ?? '';
}

/** Versioned routes of one object: the path and who may read and change it. */
interface Target {
  path: string;
  headers: Record<string, string>;
}

describe('versions, ETag and If-Match (no lost updates)', () => {
  let t: TestApp;
  let dns: TestDns;
  let keys: IdpKeys;
  let platform: Actor;
  let tenant: TenantFixture;
  let admin: Actor;

  beforeAll(async () => {
    dns = await TestDns.start();
    t = await createTestApp({ env: { ...SSO_ENV, ...dns.env } });
    keys = createIdpKeys();
    platform = await platformAdmin(t);
    tenant = await createTenantWithOwner(t, platform);
    admin = await createMember(t, tenant, ['admin']);
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    removeIdpKeys();
  });

  const get = (target: Target) => t.http().get(target.path).set(target.headers);
  const patch = (target: Target, body: object, ifMatch?: string) => {
    const request = t.http().patch(target.path).set(target.headers);
    if (ifMatch !== undefined) request.set('If-Match', ifMatch);
    return request.send(body);
  };

  /**
   * The contract on one object: GET gives the ETag; a PATCH with it succeeds and moves it; the
   * old one then answers 412 and changes nothing; without If-Match the write proceeds (and
   * still moves the version).
   */
  async function expectGuardedWrites(target: Target, first: object, second: object) {
    const before = etagOf(await get(target));
    const changed = await patch(target, first, before);
    const after = etagOf(changed);
    expect(after).not.toBe(before);
    expect(etagOf(await get(target))).toBe(after);

    const current = (await get(target)).body as object;
    expectPreconditionFailed(await patch(target, second, before));
    const unchanged = await get(target);
    expect(unchanged.body).toEqual(current);
    expect(etagOf(unchanged)).toBe(after);

    const unconditional = await patch(target, second);
    expect(etagOf(unconditional)).not.toBe(after);
    expectPreconditionFailed(await patch(target, first, after));
    return unconditional;
  }

  /**
   * Two clients read the same ETag and each changes another field with If-Match, at once: exactly
   * one wins, the other gets 412, reads again and re-applies its change; both changes survive.
   */
  async function expectNoLostUpdate(
    target: Target,
    a: { headers: Record<string, string>; body: object },
    b: { headers: Record<string, string>; body: object },
  ): Promise<Record<string, unknown>> {
    const etag = etagOf(await get(target));
    const write = (who: typeof a, ifMatch: string) =>
      t.http().patch(target.path).set(who.headers).set('If-Match', ifMatch).send(who.body);
    const answers = await Promise.all([write(a, etag), write(b, etag)]);
    const won = answers.filter((res) => res.status === 200);
    const lost = answers.filter((res) => res.status !== 200);
    expect(won, JSON.stringify(answers.map((res) => res.body))).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expectPreconditionFailed(lost[0]);
    const loser = answers[0].status === 200 ? b : a;
    const reread = etagOf(await t.http().get(target.path).set(loser.headers));
    expect(reread).toBe(won[0].headers.etag);
    const retried = await write(loser, reread);
    expect(etagOf(retried)).not.toBe(reread);
    const final = await get(target);
    expect(final.body).toMatchObject({ ...a.body, ...b.body });
    return final.body as Record<string, unknown>;
  }

  describe('users', () => {
    it('GET answers a strong ETag; PATCH with it moves it; a stale one is 412 and changes nothing', async () => {
      const user = await createMember(t, tenant);
      const target = { path: `/v1/users/${user.userId}`, headers: admin.headers };
      const last = await expectGuardedWrites(target, { name: 'First' }, { name: 'Second' });
      expect(last.body.name).toBe('Second');
    });

    it('two admins edit the same user at once with If-Match: one gets 412, re-applies, and no change is lost', async () => {
      const user = await createMember(t, tenant);
      const final = await expectNoLostUpdate(
        { path: `/v1/users/${user.userId}`, headers: admin.headers },
        { headers: admin.headers, body: { name: 'Renamed by the admin' } },
        { headers: tenant.owner.headers, body: { status: 'disabled' } },
      );
      expect(final).toMatchObject({ name: 'Renamed by the admin', status: 'disabled' });
    });

    it('of many writers holding the same ETag exactly one succeeds: the version is compared in the UPDATE', async () => {
      const user = await createMember(t, tenant);
      const target = { path: `/v1/users/${user.userId}`, headers: admin.headers };
      const etag = etagOf(await get(target));
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => patch(target, { name: `Writer ${i}` }, etag)),
      );
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
      const winner = answers.find((res) => res.status === 200)!;
      const final = await get(target);
      expect(final.body.name).toBe(winner.body.name);
      expect(etagOf(final)).toBe(winner.headers.etag);
    });

    it('a write that lands between the read and the UPDATE is not overwritten: the guarded UPDATE finds no row, 412', async () => {
      const user = await createMember(t, tenant);
      const target = { path: `/v1/users/${user.userId}`, headers: admin.headers };
      const etag = etagOf(await get(target));
      const dataSource = t.app.get(DataSource);
      // Another writer, right after the service has read the user and before it writes: the
      // service's own check sees the version it read, so only the UPDATE's WHERE can refuse.
      let interpose: (() => Promise<unknown>) | undefined = () =>
        dataSource
          .createQueryBuilder()
          .update(User)
          .set({ name: 'The other writer' })
          .where('id = :id', { id: user.userId })
          .execute();
      const subscriber: EntitySubscriberInterface<User> = {
        listenTo: () => User,
        afterLoad: async (entity) => {
          if (entity.id !== user.userId || !interpose) return;
          const write = interpose;
          interpose = undefined;
          await write();
        },
      };
      dataSource.subscribers.push(subscriber);
      try {
        expectPreconditionFailed(await patch(target, { name: 'Based on a stale read' }, etag));
      } finally {
        dataSource.subscribers.splice(dataSource.subscribers.indexOf(subscriber), 1);
      }
      expect(interpose).toBeUndefined();
      const final = await get(target);
      expect(final.body.name).toBe('The other writer');
      expect(etagOf(final)).not.toBe(etag);
    });

    it('PUT /v1/users/:id/roles takes If-Match too, and a role change moves the version', async () => {
      const user = await createMember(t, tenant);
      const target = { path: `/v1/users/${user.userId}`, headers: admin.headers };
      const before = etagOf(await get(target));
      const put = (roleNames: string[], ifMatch: string) =>
        t
          .http()
          .put(`${target.path}/roles`)
          .set(tenant.owner.headers)
          .set('If-Match', ifMatch)
          .send({ roleIds: roleNames.map((name) => tenant.roles[name]) });
      const changed = await put(['member', 'admin'], before);
      const after = etagOf(changed);
      expect(after).not.toBe(before);
      expectPreconditionFailed(await put(['member'], before));
      const current = await get(target);
      expect(current.body.roles.map((role: { name: string }) => role.name).sort()).toEqual([
        'admin',
        'member',
      ]);
      expect(etagOf(current)).toBe(after);
    });

    it('writes outside PATCH move the version too: a login changes lastLoginAt, so a tag read before is stale', async () => {
      const user = await createMember(t, tenant);
      const target = { path: `/v1/users/${user.userId}`, headers: admin.headers };
      const before = etagOf(await get(target));
      await login(t, tenant.slug, user.email);
      const afterLogin = etagOf(await get(target));
      expect(afterLogin).not.toBe(before);
      expectPreconditionFailed(await patch(target, { name: 'Stale' }, before));
    });

    it('If-Match: * proceeds; weak, malformed or unknown tags are 412 (RFC 9110 §13.1.1)', async () => {
      const user = await createMember(t, tenant);
      const target = { path: `/v1/users/${user.userId}`, headers: admin.headers };
      const current = etagOf(await patch(target, { name: 'Any' }, '*'));
      for (const header of [`W/${current}`, current.slice(1, -1), '"999999"', 'garbage']) {
        expectPreconditionFailed(await patch(target, { name: 'Never' }, header));
      }
      expect(etagOf(await patch(target, { name: 'Listed' }, `"1", ${current}`))).not.toBe(current);
      expect((await get(target)).body.name).toBe('Listed');
    });

    it('a view that hides fields carries no version and no ETag: it would show the activity the rules hide', async () => {
      const member = await createMember(t, tenant);
      const other = await t.http().get(`/v1/users/${admin.userId}`).set(member.headers);
      expect(other.status).toBe(200);
      expect(Object.keys(other.body).sort()).toEqual(['email', 'id', 'name']);
      expect(other.headers.etag).toBeUndefined();
      etagOf(await t.http().get(`/v1/users/${member.userId}`).set(member.headers));
    });

    it('another tenant gets 404, not 412, whatever If-Match says', async () => {
      const user = await createMember(t, tenant);
      const other = await createTenantWithOwner(t, platform);
      const res = await t
        .http()
        .patch(`/v1/users/${user.userId}`)
        .set(other.owner.headers)
        .set('If-Match', '"1"')
        .send({ name: 'Foreign' });
      expect(res.status).toBe(404);
    });
  });

  describe('roles', () => {
    it('GET answers the ETag; a stale If-Match is 412 and changes nothing', async () => {
      const id = await createRole(t, tenant, `role-${Date.now()}`, [
        { action: 'read', subject: 'User' },
      ]);
      await expectGuardedWrites(
        { path: `/v1/roles/${id}`, headers: admin.headers },
        { description: 'first' },
        { description: 'second' },
      );
    });

    it('two admins edit the same role at once with If-Match: one gets 412, re-applies, and no change is lost', async () => {
      const id = await createRole(t, tenant, `race-${Date.now()}`, [
        { action: 'read', subject: 'User' },
      ]);
      const permissions = [
        { action: 'read', subject: 'User' },
        { action: 'read', subject: 'Role' },
      ];
      const final = await expectNoLostUpdate(
        { path: `/v1/roles/${id}`, headers: admin.headers },
        { headers: admin.headers, body: { description: 'Readers of users' } },
        { headers: tenant.owner.headers, body: { permissions } },
      );
      expect(final).toMatchObject({ description: 'Readers of users', permissions });
    });

    it('deleting a role moves the version of every user who held it: their role lists changed', async () => {
      const name = `doomed-${Date.now()}`;
      const id = await createRole(t, tenant, name, [{ action: 'read', subject: 'Role' }]);
      const holder = {
        path: `/v1/users/${(await createMember(t, tenant, ['member', name])).userId}`,
        headers: admin.headers,
      };
      const bystander = {
        path: `/v1/users/${(await createMember(t, tenant)).userId}`,
        headers: admin.headers,
      };
      const held = etagOf(await get(holder));
      const untouched = etagOf(await get(bystander));
      expect((await t.http().delete(`/v1/roles/${id}`).set(admin.headers)).status).toBe(204);
      const after = await get(holder);
      expect(after.body.roles.map((role: { name: string }) => role.name)).toEqual(['member']);
      expect(etagOf(after)).not.toBe(held);
      expectPreconditionFailed(await patch(holder, { name: 'Stale' }, held));
      expect(etagOf(await get(bystander))).toBe(untouched);
    });
  });

  describe('tenants', () => {
    it('/v1/tenants/current: ETag on GET, 412 on a stale PATCH', async () => {
      await expectGuardedWrites(
        { path: '/v1/tenants/current', headers: tenant.owner.headers },
        { name: 'Renamed once' },
        { settings: { allowSignup: false } },
      );
    });

    it('/v1/tenants/:id (platform admins): ETag on GET, 412 on a stale PATCH', async () => {
      const other = await createTenantWithOwner(t, platform);
      await expectGuardedWrites(
        { path: `/v1/tenants/${other.id}`, headers: platform.headers },
        { plan: 'pro' },
        { name: 'Platform rename' },
      );
    });
  });

  describe('OAuth clients', () => {
    it('ETag on GET, 412 on a stale PATCH, and rotating the secret moves the version', async () => {
      const created = await t
        .http()
        .post('/v1/oauth/clients')
        .set(admin.headers)
        .send({
          name: 'Versioned client',
          type: 'confidential',
          redirectUris: ['https://app.example.com/callback'],
          grantTypes: ['authorization_code'],
          scopes: ['openid'],
        });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.version).toBe(1);
      const target = { path: `/v1/oauth/clients/${created.body.id}`, headers: admin.headers };
      await expectGuardedWrites(target, { name: 'First' }, { name: 'Second' });

      const before = etagOf(await get(target));
      const rotated = await t.http().post(`${target.path}/secret`).set(admin.headers);
      expect(rotated.status).toBe(200);
      const after = etagOf(await get(target));
      expect(`"${rotated.body.version}"`).toBe(after);
      expect(after).not.toBe(before);
      expectPreconditionFailed(await patch(target, { name: 'Stale' }, before));
    });
  });

  describe('SSO connections', () => {
    it('ETag on GET, 412 on a stale PATCH, and verifying a domain moves the version', async () => {
      const domain = uniqueDomain('versioned');
      const created = await t
        .http()
        .post('/v1/sso/connections')
        .set(tenant.owner.headers)
        .send({
          type: 'saml',
          name: 'Versioned IdP',
          domains: [domain],
          saml: {
            idpEntityId: 'https://idp.versioned.example',
            ssoUrl: 'https://idp.versioned.example/sso',
            certificate: keys.certificate,
          },
        });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.version).toBe(1);
      const target = {
        path: `/v1/sso/connections/${created.body.id}`,
        headers: tenant.owner.headers,
      };
      await expectGuardedWrites(target, { name: 'First' }, { jitProvisioning: true });

      const before = etagOf(await get(target));
      const pending = (created.body.domains as { txtName: string; txtValue: string }[])[0];
      dns.publish(pending.txtName, pending.txtValue);
      const verified = await t.http().post(`${target.path}/domains/verify`).set(target.headers);
      expect(verified.status).toBe(200);
      expect(verified.body.domains[0].status).toBe('verified');
      const after = etagOf(await get(target));
      expect(after).not.toBe(before);
      expect(`"${verified.body.version}"`).toBe(after);
      expectPreconditionFailed(await patch(target, { name: 'Stale' }, before));
    });
  });

  it('the OpenAPI document shows ETag on the GETs, If-Match and 412 on the PATCH and PUT', async () => {
    const doc = (await t.http().get('/docs-json')).body as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const reads = [
      '/v1/users/{id}',
      '/v1/roles/{id}',
      '/v1/tenants/current',
      '/v1/tenants/{id}',
      '/v1/oauth/clients/{id}',
      '/v1/sso/connections/{id}',
    ];
    for (const path of reads) {
      const read = doc.paths[path]?.get as { responses: Record<string, { headers?: object }> };
      expect(read.responses['200']?.headers, path).toHaveProperty('ETag');
      const write = doc.paths[path]?.patch as {
        parameters: { name: string; in: string }[];
        responses: Record<string, { headers?: object }>;
      };
      expect(write.parameters, path).toContainEqual(
        expect.objectContaining({ name: 'If-Match', in: 'header' }),
      );
      expect(write.responses['200']?.headers, path).toHaveProperty('ETag');
      expect(write.responses, path).toHaveProperty('412');
    }
    const put = doc.paths['/v1/users/{id}/roles']?.put as { responses: object };
    expect(put.responses).toHaveProperty('412');
  });
});
