import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { NOT_NULL_CONSTRAINT } from '../decorators/presence.decorators';
import { AppError, type FieldError } from '../errors/app-error';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    // A null where a value is needed fails every other check too; saying so once is the answer.
    const refusedNull = NOT_NULL_CONSTRAINT in constraints;
    const own = Object.entries(constraints)
      .filter(([constraint]) => !refusedNull || constraint === NOT_NULL_CONSTRAINT)
      .map(([constraint, message]) => ({
        field: field || '(body)',
        message:
          constraint === 'whitelistValidation'
            ? 'is not an accepted field'
            : constraint === 'unknownValue'
              ? 'must be a JSON object'
              : // class-validator's messages start with the property name; keep them short.
                message.startsWith(`${error.property} `)
                ? message.slice(error.property.length + 1)
                : message,
      }));
    return refusedNull ? own : [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Unknown fields are refused rather than silently dropped: a typo in a security setting must
 * not pass for success. Values are never echoed back.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => AppError.validation(flatten(errors)),
  });
}
