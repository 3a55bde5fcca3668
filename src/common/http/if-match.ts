import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';

/** The entity tag of an object at a version: strong, the version in quotes (RFC 9110 §8.8.3). */
export function etagOf(version: number): string {
  return `"${version}"`;
}

type Condition =
  | { kind: 'absent' }
  | { kind: 'any' }
  | { kind: 'tags'; strong: readonly string[]; weak: number }
  | { kind: 'malformed' };

/**
 * One element of the list and what follows it: an optionally weak quoted tag (RFC 9110 §8.8.3
 * `entity-tag`), or nothing (empty elements are allowed and ignored, §5.6.1), then a comma or
 * the end.
 */
const ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*)?(,|$)/y;

function parse(value: string): Condition {
  if (value.trim() === '*') return { kind: 'any' };
  const strong: string[] = [];
  let weak = 0;
  ELEMENT.lastIndex = 0;
  for (;;) {
    const at = ELEMENT.lastIndex;
    const match = ELEMENT.exec(value);
    if (!match) return { kind: 'malformed' };
    if (match[0].includes('"')) {
      if (match[1]) weak += 1;
      else strong.push(match[2] ?? '');
    }
    if (match[3] === '' || ELEMENT.lastIndex === at) break;
  }
  if (ELEMENT.lastIndex < value.length) return { kind: 'malformed' };
  return strong.length + weak === 0 ? { kind: 'malformed' } : { kind: 'tags', strong, weak };
}

function preconditionFailed(detail: string): AppError {
  return new AppError(412, ErrorCode.PreconditionFailed, { detail });
}

/**
 * An `If-Match` request header (RFC 9110 §13.1.1), checked against an object's stored version.
 * Absent: the write proceeds unconditionally. `*`: the object must exist, which the write's own
 * lookup (404) decides. A list of tags: the stored version's tag must be among them, compared
 * strongly, so weak tags never match. Anything else is neither `*` nor a list of tags, which the
 * RFC's step 3 evaluates as false: 412, never a write on a guess.
 */
export class IfMatch {
  static readonly ABSENT = new IfMatch({ kind: 'absent' });

  private constructor(private readonly condition: Condition) {}

  /** The header as Node gives it (repeated fields arrive joined by commas). */
  static parse(value: string | string[] | undefined): IfMatch {
    if (value === undefined) return IfMatch.ABSENT;
    return new IfMatch(parse(Array.isArray(value) ? value.join(',') : value));
  }

  /**
   * Evaluates the condition against the version just read: 412 when it is false, else the guard
   * the write carries, so that the version still holds at the moment of the UPDATE.
   */
  check(current: number): VersionGuard {
    const condition = this.condition;
    switch (condition.kind) {
      case 'absent':
      case 'any':
        return new VersionGuard(current, undefined);
      case 'malformed':
        throw preconditionFailed(
          'If-Match must be * or a list of entity tags such as "3" (as sent in ETag).',
        );
      case 'tags':
        if (condition.strong.includes(String(current))) return new VersionGuard(current, current);
        throw preconditionFailed(
          condition.strong.length === 0
            ? 'If-Match compares strongly: a weak entity tag (W/"…") never matches.'
            : 'The object has changed since that version: read it again and re-apply the change.',
        );
    }
  }
}

/** The version condition of one write, from `IfMatch.check`. */
export class VersionGuard {
  constructor(
    private readonly current: number,
    private readonly expected: number | undefined,
  ) {}

  /**
   * The write's WHERE, narrowed to the version the client named: of two writers holding the same
   * tag only the first UPDATE finds it, however close together they run.
   */
  where<W extends object>(where: W): W | (W & { version: number }) {
    return this.expected === undefined ? where : { ...where, version: this.expected };
  }

  /** 412 when a guarded write changed no row: another writer moved the version first. */
  settle(affected: number): void {
    if (this.expected !== undefined && affected === 0) {
      throw preconditionFailed(
        'The object has changed since that version: read it again and re-apply the change.',
      );
    }
  }

  /**
   * The version the write left, for the answer's ETag. Exact for a guarded write; for an
   * unguarded one that raced another, a tag that no longer matches, so a write based on it gets
   * 412 rather than overwriting what it did not see.
   */
  get next(): number {
    return this.current + 1;
  }
}
