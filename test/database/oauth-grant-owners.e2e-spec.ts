import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthArtifact } from '../../src/oauth/entities/oauth-artifact.entity';
import { openTestDataSource, undoMigrationsThrough } from '../support/database';

const IAT = 1_796_000_000;

describe('migration 1764401100000: owners of OAuth artefacts', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await openTestDataSource());
  });
  afterAll(() => close?.());

  it('fills account, client and issue time of rows stored before it, so their grants can be revoked', async () => {
    await dataSource.runMigrations();
    await undoMigrationsThrough(dataSource, 'OAuthGrantOwners1764401100000');
    const rows = [
      { model: 'Grant', id: 'g1', payload: { accountId: 'u1', clientId: 'c1', iat: IAT } },
      {
        model: 'RefreshToken',
        id: 'r1',
        payload: { accountId: 'u1', clientId: 'c1', grantId: 'g1', iat: IAT + 60 },
      },
      { model: 'Session', id: 's1', payload: { accountId: 'u1' } },
      { model: 'Interaction', id: 'i1', payload: { iat: IAT } },
    ];
    // Raw SQL: the entity already has the columns this schema does not.
    const [a, b, c] =
      dataSource.driver.options.type === 'postgres' ? ['$1', '$2', '$3'] : ['?', '?', '?'];
    for (const row of rows) {
      await dataSource.query(
        `INSERT INTO oauth_artifacts (model, id, payload) VALUES (${a}, ${b}, ${c})`,
        [row.model, row.id, JSON.stringify(row.payload)],
      );
    }
    await dataSource.runMigrations();

    const stored = await dataSource.getRepository(OAuthArtifact).find({ order: { id: 'ASC' } });
    const owners = Object.fromEntries(
      // By model: the later migration 1764401700000 stores all but grants under sha256(id).
      stored.map((row) => [
        row.model,
        [row.accountId, row.clientId, row.issuedAt?.getTime() ?? null],
      ]),
    );
    expect(owners).toEqual({
      Grant: ['u1', 'c1', IAT * 1000],
      Interaction: [null, null, null],
      RefreshToken: ['u1', 'c1', (IAT + 60) * 1000],
      Session: ['u1', null, null],
    });
  });
});
