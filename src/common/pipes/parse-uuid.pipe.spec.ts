import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error';
import { ParseUuidPipe } from './parse-uuid.pipe';

describe('ParseUuidPipe', () => {
  const pipe = new ParseUuidPipe();

  it('passes UUIDs through, lower-cased', () => {
    expect(pipe.transform('0190A000-0000-7000-8000-00000000000A')).toBe(
      '0190a000-0000-7000-8000-00000000000a',
    );
    expect(pipe.transform('00000000-0000-0000-0000-000000000000')).toBe(
      '00000000-0000-0000-0000-000000000000',
    );
  });

  it('answers 404 not_found for anything else', () => {
    for (const value of [
      '',
      'not-a-uuid',
      '../etc/passwd',
      '%2e%2e',
      '\u0000',
      '0190a000-0000-7000-8000-00000000000',
      '0190a000-0000-7000-8000-00000000000aa',
      '{0190a000-0000-7000-8000-00000000000a}',
      '0190a00000007000800000000000000a',
      ' 0190a000-0000-7000-8000-00000000000a',
      '0190a000-0000-7000-8000-00000000000a\n',
      'x'.repeat(10_000),
      undefined,
      42,
      ['0190a000-0000-7000-8000-00000000000a'],
    ]) {
      const error = (() => {
        try {
          pipe.transform(value);
          return null;
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, String(value)).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 404, code: 'not_found' });
    }
  });
});
