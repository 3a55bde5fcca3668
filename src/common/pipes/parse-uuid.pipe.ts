import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import { AppError } from '../errors/app-error';

/** Any UUID version: ours are v7, and imported or older rows may be v4. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/**
 * For every `:id`-like path parameter. Ids are UUIDs; anything else cannot name an object, so it
 * answers 404 not_found exactly as an unknown id does, and never reaches the database
 * (PostgreSQL would refuse it in a `uuid` comparison, which would surface as a 500).
 */
@Injectable()
export class ParseUuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (isUuid(value)) return value.toLowerCase();
    throw AppError.notFound();
  }
}

/** `@UuidParam() id: string` — a path parameter (default `id`) that must be a UUID, else 404. */
export function UuidParam(name = 'id'): ParameterDecorator {
  return Param(name, ParseUuidPipe);
}
