import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';

export type Env = Readonly<Record<string, string | undefined>>;

/** The variables that hold something, trimmed: a blank variable counts as unset. */
export function presentValues(env: Env): Record<string, string> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') present[name] = value.trim();
  }
  return present;
}

function pathOf(parent: string, property: string): string {
  if (parent === '') return property;
  return /^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`;
}

/**
 * One line per problem, named by its variable and its path inside a JSON value
 * (`RATE_LIMITS.tiers.pro.limit`, `OIDC_PROVIDERS[1].issuer`). An entry of a JSON list reports
 * its first problem only: a malformed entry would otherwise fill the screen.
 */
function describe(errors: readonly ValidationError[], parent: string): string[] {
  return errors.flatMap((error) => {
    const path = pathOf(parent, error.property);
    const [constraint, message] = Object.entries(error.constraints ?? {})[0] ?? [];
    if (constraint === 'whitelistValidation') return [`${path} is unknown`];
    if (message !== undefined) {
      return message.split('\n').map((line) => `${path} ${line}`);
    }
    const lines = describe(error.children ?? [], path);
    return /^\d+$/.test(error.property) ? lines.slice(0, 1) : lines;
  });
}

/**
 * Reads one section of the environment through its schema (a class whose properties are the
 * variables, see env-decorators.ts) and adds a line to `problems` for each bad variable. A bad
 * variable reads as its default, so that the rules across variables report only their own
 * problems; any problem stops the start anyway.
 */
export function readSection<T extends object>(
  schema: new () => T,
  env: Readonly<Record<string, string>>,
  problems: string[],
): T {
  const values = plainToInstance(schema, env, {
    excludeExtraneousValues: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(values, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  problems.push(...describe(errors, ''));
  const defaults = new schema() as Record<string, unknown>;
  for (const { property } of errors) {
    (values as Record<string, unknown>)[property] = defaults[property];
  }
  return values;
}
