import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { etagOf, IfMatch } from './if-match';

function failure(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('IfMatch', () => {
  it('the tag of a version is strong: the version in quotes', () => {
    expect(etagOf(7)).toBe('"7"');
  });

  it('absent or *: the write proceeds unguarded', () => {
    for (const header of [undefined, '*', ' * ']) {
      const guard = IfMatch.parse(header).check(4);
      expect(guard.where({ id: 'x' })).toEqual({ id: 'x' });
      expect(() => guard.settle(0)).not.toThrow();
      expect(guard.next).toBe(5);
    }
  });

  it.each([['"4"'], ['"3", "4"'], ['"9",W/"4","4"'], [' "4" , , '], [['"1"', '"4"']]])(
    '%j matches version 4 and guards the write with it',
    (header) => {
      const guard = IfMatch.parse(header).check(4);
      expect(guard.where({ id: 'x' })).toEqual({ id: 'x', version: 4 });
      expect(guard.next).toBe(5);
    },
  );

  it('a guarded write that changed nothing lost the race: 412', () => {
    const guard = IfMatch.parse('"4"').check(4);
    expect(() => guard.settle(1)).not.toThrow();
    const error = failure(() => guard.settle(0));
    expect(error.status).toBe(412);
    expect(error.code).toBe(ErrorCode.PreconditionFailed);
  });

  it.each([
    ['a stale tag', '"3"', /changed since/],
    ['a weak tag (strong comparison)', 'W/"4"', /weak/],
    ['an unquoted version', '4', /list of entity tags/],
    ['a tag with a quote inside', '"4"x"', /list of entity tags/],
    ['two tags without a comma', '"4" "5"', /list of entity tags/],
    ['* among tags', '*, "4"', /list of entity tags/],
    ['an empty value', '', /list of entity tags/],
    ['only commas', ' , ,', /list of entity tags/],
  ])('%s fails the precondition: 412', (_, header, detail) => {
    const error = failure(() => IfMatch.parse(header).check(4));
    expect(error.status).toBe(412);
    expect(error.code).toBe(ErrorCode.PreconditionFailed);
    expect(error.detail).toMatch(detail);
  });
});
