import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './page-cursor';

const ID = '01890a5d-ac96-774b-bcce-b302099a8057';
const raw = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

describe('page cursors', () => {
  it('round-trip a position, for UUIDs and grant ids alike', () => {
    for (const position of [
      { key: 0, id: ID },
      { key: 1_767_225_600_123, id: ID },
      { key: 2 ** 31 - 1, id: 'mKUmAbIUGJ3ztSDD4HxPVVBawBHhwUGgRPYtO6s3vpv' },
    ]) {
      const cursor = encodeCursor(position);
      expect(cursor).toMatch(/^[\w-]+$/);
      expect(decodeCursor(cursor)).toEqual(position);
    }
  });

  it('refuse anything not given out: other shapes, types, ranges and spellings', () => {
    const refused: unknown[] = [
      undefined,
      42,
      '',
      ID,
      'not a cursor',
      'x'.repeat(201),
      raw('not json'),
      raw(`{"key":1,"id":"${ID}"}`),
      raw('[1]'),
      raw(`[1,"${ID}",2]`),
      raw(`["1","${ID}"]`),
      raw(`[-1,"${ID}"]`),
      raw(`[1.5,"${ID}"]`),
      raw(`[9007199254740992,"${ID}"]`),
      raw('[1,""]'),
      raw('[1,"x\' OR 1=1"]'),
      raw(`[1,"${'a'.repeat(65)}"]`),
      raw(`[1, "${ID}"]`),
      raw(`[1e0,"${ID}"]`),
      `${encodeCursor({ key: 1, id: ID })}=`,
    ];
    for (const cursor of refused) expect(decodeCursor(cursor), String(cursor)).toBeNull();
  });
});
