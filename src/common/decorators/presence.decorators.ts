import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ValidateBy, ValidateIf } from 'class-validator';

/** The constraint name the validation pipe recognises: a refused null says only that. */
export const NOT_NULL_CONSTRAINT = 'isNotNull';

/**
 * Presence rules of optional body fields, after JSON Merge Patch (RFC 7396): an absent field
 * leaves the stored value alone, `null` clears it. class-validator's `@IsOptional()` lets `null`
 * through as if absent, so services met it where they expected a value; every optional field
 * says with one of these decorators what `null` means, and documents it in OpenAPI.
 */

/**
 * Optional, but never null: `null` answers 400 `validation_failed` naming the field, for a field
 * that cannot be empty (a name, a status, a flag, a list that must hold something).
 */
export function AbsentOrValue(options: ApiPropertyOptions = {}): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional(options),
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    ValidateBy({
      name: NOT_NULL_CONSTRAINT,
      validator: {
        validate: (value: unknown) => value !== null,
        defaultMessage: () => 'cannot be null: leave the field out to keep its value',
      },
    }),
  );
}

/**
 * Optional, and `null` clears the field: the service stores its empty value (an empty text or
 * list, or the default a new object gets). Type the property `T | null` so the compiler makes
 * the service handle it.
 */
export function Nullable(options: ApiPropertyOptions = {}): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ ...options, nullable: true }),
    ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null),
  );
}
