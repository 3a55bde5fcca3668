import { createHash } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'oauth_artifacts';
const BATCH = 500;

type Payload = Record<string, unknown>;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * OAuth artefacts stored under sha256(id) (SPEC §8, §14): a database read or a backup no longer
 * yields a refresh token, a code or a provider cookie. Rows stored before are rewritten the way
 * the adapter now writes them (kept here, not imported, so this migration never changes), so
 * that users stay signed in to their applications. Grant ids are no credential and stay plain.
 */
export class HashedOAuthArtifacts1764401700000 implements MigrationInterface {
  name = 'HashedOAuthArtifacts1764401700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = this.placeholder(queryRunner);
    // A rewritten row may sort after the cursor: remember it, never hash it twice.
    const done = new Set<string>();
    let after = { model: '', id: '' };
    for (;;) {
      const rows = (await queryRunner.query(
        `SELECT model, id, uid, payload FROM ${TABLE} WHERE model <> ${p(1)} ` +
          `AND (model > ${p(2)} OR (model = ${p(3)} AND id > ${p(4)})) ` +
          `ORDER BY model, id LIMIT ${BATCH}`,
        ['Grant', after.model, after.model, after.id],
      )) as { model: string; id: string; uid: string | null; payload: string }[];
      for (const row of rows) {
        if (done.has(`${row.model} ${row.id}`)) continue;
        const id = sha256(row.id);
        await queryRunner.query(
          `UPDATE ${TABLE} SET id = ${p(1)}, uid = ${p(2)}, payload = ${p(3)} ` +
            `WHERE model = ${p(4)} AND id = ${p(5)}`,
          [
            id,
            row.uid === null ? null : sha256(row.uid),
            JSON.stringify(this.seal(row.model, row.id, JSON.parse(row.payload) as Payload)),
            row.model,
            row.id,
          ],
        );
        done.add(`${row.model} ${id}`);
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < BATCH) return;
      after = { model: last.model, id: last.id };
    }
  }

  /** Hashes cannot be undone: the artefacts go, their users sign in to their applications again. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM ${TABLE} WHERE model <> ${this.placeholder(queryRunner)(1)}`,
      ['Grant'],
    );
  }

  /** The payload without its own id (`jti`), an interaction's session cookie, or its id in `returnTo`. */
  private seal(model: string, id: string, payload: Payload): Payload {
    const { jti: _jti, ...sealed } = payload;
    if (model === 'Interaction') {
      if (sealed.session && typeof sealed.session === 'object') {
        const { cookie: _cookie, ...session } = sealed.session as Payload;
        sealed.session = session;
      }
      if (typeof sealed.returnTo === 'string') {
        sealed.returnTo = sealed.returnTo.split(id).join('{id}');
      }
    }
    return sealed;
  }

  private placeholder(queryRunner: QueryRunner): (n: number) => string {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    return (n) => (postgres ? `$${n}` : '?');
  }
}
