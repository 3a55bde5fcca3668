import { describe, expect, it } from 'vitest';
import { findUnsafeInput, MAX_INPUT_DEPTH } from './body-parsers';

describe('findUnsafeInput', () => {
  it('accepts ordinary input, emoji and other well-formed text included', () => {
    expect(findUnsafeInput({ name: 'Ada 💥 Łódź', tags: ['a', 'b'], n: 1, ok: true })).toBeNull();
    expect(findUnsafeInput(undefined)).toBeNull();
    expect(findUnsafeInput({})).toBeNull();
  });

  it('names the field holding NUL or a lone surrogate, in values and in keys', () => {
    expect(findUnsafeInput({ tenant: 'root\u0000' })).toEqual({
      field: 'tenant',
      message: 'must be valid text without NUL characters',
    });
    expect(findUnsafeInput({ user: { email: '\ud800@x.co' } })?.field).toBe('user.email');
    expect(findUnsafeInput({ list: ['ok', 'x\udfff'] })?.field).toBe('list.1');
    expect(findUnsafeInput({ ['bad\u0000key']: 1 })?.message).toBe(
      'has a name that is not valid text',
    );
  });

  it(`refuses nesting deeper than ${MAX_INPUT_DEPTH} levels without recursing`, () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeInput(deep)?.message).toBe(
      `is nested more than ${MAX_INPUT_DEPTH} levels deep`,
    );
    let fine: unknown = 1;
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) fine = { a: fine };
    expect(findUnsafeInput(fine)).toBeNull();
  });
});
