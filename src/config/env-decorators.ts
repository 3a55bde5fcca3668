// class-transformer's @Type reads design-time types through the Reflect metadata API.
import 'reflect-metadata';
import { type ClassConstructor, Expose, plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';

/*
 * The decorators of the environment schemas (`sections/*.section.ts`). A property is named after
 * its variable, so every message names the variable; messages say only what is expected, as the
 * API's validation messages do ("must be …"), and `readSection` puts the name in front. A value
 * is quoted back only where it cannot be a secret (numbers, switches, list entries).
 */

export function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** A rule on the value alone, with a message computed from it. */
function Check(
  name: string,
  valid: (value: unknown) => boolean,
  message: (value: unknown) => string,
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value) => valid(value),
      defaultMessage: (args?: ValidationArguments) => message(args?.value),
    },
  });
}

/** For the fields of a JSON value: absent is fine, `null` is a value (and is refused). */
export const IfPresent = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stripTrailingSlash(url: string): string {
  // A loop, not `/\/+$/`: that pattern retries from every slash of a long run (quadratic).
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end -= 1;
  return url.slice(0, end);
}

export function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return ['http:', 'https:'].includes(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

/** Any text; narrower rules (`@Matches`, `@Length`) stack under it. */
export const EnvString = (): PropertyDecorator => compose(Expose(), IsOptional(), IsString());

/** A whole number from `min` to `max`. */
export function EnvInt(min: number, max: number): PropertyDecorator {
  const message = ({ value }: ValidationArguments) =>
    `must be a whole number from ${min} to ${max} (got "${String(value)}")`;
  return compose(
    Expose(),
    IsOptional(),
    Transform(({ value }: { value: string }) => (/^\d+$/.test(value) ? Number(value) : value)),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
}

/** true/1/yes or false/0/no, in any case. */
export function EnvBool(): PropertyDecorator {
  return compose(
    Expose(),
    IsOptional(),
    Transform(({ value }: { value: string }) => {
      const word = value.toLowerCase();
      if (['true', '1', 'yes'].includes(word)) return true;
      return ['false', '0', 'no'].includes(word) ? false : word;
    }),
    IsBoolean({ message: ({ value }) => `must be true or false (got "${String(value)}")` }),
  );
}

export function EnvOneOf(allowed: readonly string[]): PropertyDecorator {
  return compose(
    Expose(),
    IsOptional(),
    IsIn([...allowed], {
      message: ({ value }) => `must be one of ${allowed.join(', ')} (got "${String(value)}")`,
    }),
  );
}

function urlProblem(value: unknown, protocols: readonly string[]): string | null {
  try {
    const { protocol } = new URL(String(value));
    return protocols.includes(protocol) ? null : `must be a ${protocols.join(' or ')} URL`;
  } catch {
    // The value may hold credentials (database and Redis URLs do): it is not echoed.
    return 'must be a valid URL';
  }
}

/** An absolute URL of one of `protocols` (`'https:'`); base URLs lose their trailing slashes. */
export function EnvUrl(
  protocols: readonly string[],
  { baseUrl = false }: { baseUrl?: boolean } = {},
): PropertyDecorator {
  return compose(
    Expose(),
    IsOptional(),
    ...(baseUrl ? [Transform(({ value }: { value: string }) => stripTrailingSlash(value))] : []),
    Check(
      'envUrl',
      (value) => urlProblem(value, protocols) === null,
      (value) => urlProblem(value, protocols) ?? '',
    ),
  );
}

/**
 * A comma-separated list (blank entries dropped); with `entry`, each entry must pass it, and each
 * one that does not is a problem line of its own.
 */
export function EnvList(entry?: {
  valid: (entry: string) => boolean;
  expected: string;
}): PropertyDecorator {
  const bad = (value: unknown) =>
    Array.isArray(value) ? value.map(String).filter((item) => !entry?.valid(item)) : [];
  return compose(
    Expose(),
    IsOptional(),
    Transform(({ value }: { value: string }) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
    ...(entry === undefined
      ? []
      : [
          Check(
            'envListEntries',
            (value) => bad(value).length === 0,
            (value) =>
              bad(value)
                .map((item) => `entry "${item}" ${entry.expected}`)
                .join('\n'),
          ),
        ]),
  );
}

/** What a JSON variable holds when its text is not JSON, or not the expected shape. */
const NOT_JSON = Symbol('not JSON');
const WRONG_SHAPE = Symbol('wrong shape');
const NOT_AN_OBJECT = Symbol('not an object');

/** A name class-transformer drops without a word; refused here so that no key passes unread. */
class ReservedName {
  constructor(readonly name: string) {}
}

function parseJson(text: string): unknown {
  let reserved: string | null = null;
  try {
    const parsed: unknown = JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__' || key === 'constructor') reserved ??= key;
      return value;
    });
    return reserved === null ? parsed : new ReservedName(reserved);
  } catch {
    return NOT_JSON;
  }
}

/**
 * A JSON object of `schema` (or, with `list`, an array of them), converted into instances so
 * that their own rules apply; with `off`, the word "off" instead. `expected` says what the
 * variable may hold.
 */
export function EnvJson<T extends object>(
  schema: ClassConstructor<T>,
  { expected, list = false, off = false }: { expected: string; list?: boolean; off?: boolean },
): PropertyDecorator {
  const convert = (item: unknown) =>
    isRecord(item) ? plainToInstance(schema, item) : NOT_AN_OBJECT;
  return compose(
    Expose(),
    IsOptional(),
    ValidateIf((_object: object, value: unknown) => !off || value !== 'off'),
    Transform(({ value }: { value: string }) => {
      if (off && value.toLowerCase() === 'off') return 'off';
      const parsed = parseJson(value);
      if (parsed === NOT_JSON || parsed instanceof ReservedName) return parsed;
      if (list) return Array.isArray(parsed) ? parsed.map(convert) : WRONG_SHAPE;
      return isRecord(parsed) ? convert(parsed) : WRONG_SHAPE;
    }),
    Check(
      'envJson',
      (value) => value !== NOT_JSON,
      () => 'must be valid JSON',
    ),
    Check(
      'envJsonNames',
      (value) => !(value instanceof ReservedName),
      (value) => `must not use the name "${(value as ReservedName).name}"`,
    ),
    Check(
      'envJsonShape',
      (value) => value !== WRONG_SHAPE,
      () => expected,
    ),
    // The message is for a list entry that `convert` found not to be an object.
    ValidateNested({ message: 'must be an object' }),
  );
}
