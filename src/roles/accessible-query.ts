import { rulesToCondition } from '@casl/ability/extra';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { Action } from './permission-rule';
import type { AppAbility, Permissions } from './ability.factory';

type Rule = ReturnType<AppAbility['rulesFor']>[number];

interface Sql {
  text: string;
  parameters: Record<string, unknown>;
}

const NOTHING: Sql = { text: '1 = 0', parameters: {} };
const EVERYTHING: Sql = { text: '1 = 1', parameters: {} };

/** Whether a stored equality value can be compared with the column in SQL as CASL compares it. */
function comparable(column: ColumnMetadata, value: string | number | boolean): boolean {
  const type = typeof column.type === 'function' ? column.type.name.toLowerCase() : column.type;
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'uuid')
    return (
      typeof value === 'string' && /^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value)
    );
  if (['varchar', 'text', 'string', 'character varying'].includes(type))
    return typeof value === 'string';
  if (['int', 'integer', 'number', 'smallint', 'bigint'].includes(type))
    return typeof value === 'number';
  // Dates, JSON and arrays match differently in memory (CASL) and in SQL: deny rather than guess.
  return false;
}

/**
 * One rule's conditions as SQL on the query's main entity. Stored conditions are equality on a
 * subject's fields (rule-validation.ts); anything else — an operator, a field that is no plain
 * column (a relation, JSON), a value of another type — matches nothing here, so a list can only
 * ever show less than the object checks would allow, never more.
 */
function ruleSql<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  alias: string,
  rule: Rule,
  nextName: () => string,
): Sql {
  const conditions = (rule.conditions ?? {}) as Record<string, unknown>;
  const metadata = query.expressionMap.mainAlias!.metadata;
  const driver = query.connection.driver;
  const parts: string[] = [];
  const parameters: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(conditions)) {
    // A relation (`roles`, `domains`) is an object or a list in memory, no column to compare.
    const column = metadata.findRelationWithPropertyPath(field)
      ? undefined
      : metadata.findColumnWithPropertyName(field);
    if (!column) return NOTHING;
    if (value === null) {
      parts.push(`${alias}.${field} IS NULL`);
      continue;
    }
    if (
      (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') ||
      !comparable(column, value)
    )
      return NOTHING;
    const name = nextName();
    parts.push(`${alias}.${field} = :${name}`);
    parameters[name] = driver.preparePersistentValue(value, column);
  }
  const text = parts.length === 0 ? '1 = 1' : parts.join(' AND ');
  // A `cannot` rule bounds the `can` rules below it; one we cannot translate denies everything.
  if (rule.inverted) return text === NOTHING.text ? NOTHING : { text: `NOT (${text})`, parameters };
  return { text, parameters };
}

function combine(operator: 'AND' | 'OR', parts: Sql[]): Sql {
  if (parts.length === 0) return operator === 'AND' ? EVERYTHING : NOTHING;
  return {
    text: parts.map((part) => `(${part.text})`).join(` ${operator} `),
    parameters: Object.assign({}, ...parts.map((part) => part.parameters)) as Record<
      string,
      unknown
    >,
  };
}

/**
 * Restricts a list query to the rows the caller may `action`, in its WHERE clause, so pages
 * are full and cursors advance whatever the caller's conditional rules (CASL's own rule
 * priority, via `rulesToCondition`: each `can` bounded by the `cannot`s above it). Every ability
 * of the principal must allow a row (an API key and its creator).
 */
export function whereAccessible<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  alias: string,
  permissions: Permissions,
  action: Action,
  subjectType: string,
): SelectQueryBuilder<T> {
  let counter = 0;
  const nextName = () => `casl_${alias}_${counter++}`;
  const perAbility = permissions.abilities.map(
    (ability) =>
      rulesToCondition<AppAbility, Sql, Sql>(
        ability.rulesFor(action, subjectType),
        (rule) => ruleSql(query, alias, rule, nextName),
        {
          and: (parts) => combine('AND', parts),
          or: (parts) => combine('OR', parts),
          empty: () => EVERYTHING,
        },
      ) ?? NOTHING,
  );
  const clause = combine('AND', perAbility);
  return query.andWhere(`(${clause.text})`, clause.parameters);
}
