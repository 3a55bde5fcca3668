/** The keys of a request body that were actually sent (not undefined): the fields a PATCH changes. */
export function definedKeys<T extends object>(body: T): (keyof T & string)[] {
  return (Object.keys(body) as (keyof T & string)[]).filter((key) => body[key] !== undefined);
}
