import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoConnection } from '../../src/sso/entities/sso-connection.entity';
import { DEFAULT_TENANT_SETTINGS, Tenant } from '../../src/tenants/entities/tenant.entity';
import { openTestDataSource, undoMigrationsThrough } from '../support/database';

describe('migration SsoTrust1764400900000 on existing SSO domains', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await openTestDataSource());
  });
  afterAll(() => close?.());

  it('keeps every domain, pending (nothing proved it), each with a challenge of its own', async () => {
    await dataSource.runMigrations();
    await undoMigrationsThrough(dataSource, 'SsoTrust1764400900000');

    const now = new Date();
    const tenant = Object.assign(new Tenant(), {
      id: uuidv7(),
      slug: 'migrated',
      name: 'Migrated',
      plan: 'free' as const,
      status: 'active' as const,
      isRoot: false,
      settings: DEFAULT_TENANT_SETTINGS,
      createdAt: now,
      updatedAt: now,
    });
    // Without the columns later migrations add (`version`): the entity describes today's schema.
    await dataSource
      .createQueryBuilder()
      .insert()
      .into(Tenant, [
        'id',
        'slug',
        'name',
        'plan',
        'status',
        'isRoot',
        'settings',
        'createdAt',
        'updatedAt',
      ])
      .values(tenant)
      .updateEntity(false)
      .execute();
    const connectionId = uuidv7();
    // The columns this schema has: the entity describes a later one.
    const columns = [
      ...['id', 'tenantId', 'type', 'name', 'jitProvisioning', 'defaultRoleIds'],
      ...['attributeMapping', 'saml', 'oidc', 'createdAt', 'updatedAt'],
    ];
    await dataSource
      .createQueryBuilder()
      .insert()
      .into(SsoConnection, columns)
      .values({
        id: connectionId,
        tenantId: tenant.id,
        type: 'saml',
        name: 'Before',
        jitProvisioning: true,
        defaultRoleIds: [],
        attributeMapping: null,
        saml: { idpEntityId: 'https://idp', ssoUrl: 'https://idp/sso', certificates: ['c'] },
        oidc: null,
        createdAt: now,
        updatedAt: now,
      })
      .updateEntity(false)
      .execute();
    // The table as it was: plain SQL, since the entity describes the new schema.
    const postgres = dataSource.options.type === 'postgres';
    const insert =
      'INSERT INTO sso_connection_domains (id, connection_id, tenant_id, domain) VALUES ' +
      (postgres ? '($1, $2, $3, $4)' : '(?, ?, ?, ?)');
    for (const domain of ['one.example', 'two.example']) {
      await dataSource.query(insert, [uuidv7(), connectionId, tenant.id, domain]);
    }

    await dataSource.runMigrations();
    const rows: { domain: string; txt_value: string; verified_at: unknown }[] =
      await dataSource.query(
        'SELECT domain, txt_value, verified_at FROM sso_connection_domains ORDER BY domain',
      );
    expect(rows.map((row) => [row.domain, row.verified_at])).toEqual([
      ['one.example', null],
      ['two.example', null],
    ]);
    for (const row of rows) {
      expect(row.txt_value).toMatch(/^gatehouse-domain-verification=[\w-]{43}$/);
    }
    expect(rows[0].txt_value).not.toBe(rows[1].txt_value);
  });
});
