import type { ArgumentMetadata } from '@nestjs/common';
import { IsString, MaxLength } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error';
import { createValidationPipe } from '../pipes/validation.pipe';
import { AbsentOrValue, Nullable } from './presence.decorators';

class PatchDto {
  @AbsentOrValue()
  @IsString()
  @MaxLength(5)
  name?: string;

  @Nullable()
  @IsString()
  @MaxLength(5)
  description?: string | null;
}

const metadata: ArgumentMetadata = { type: 'body', metatype: PatchDto };

async function validate(body: object): Promise<unknown> {
  try {
    return await createValidationPipe().transform(body, metadata);
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, errors: error.errors };
    throw error;
  }
}

describe('presence decorators', () => {
  it('leave absent fields absent', async () => {
    expect(await validate({})).toEqual(new PatchDto());
  });

  it('refuse null on a field that cannot be empty, with one message naming it', async () => {
    expect(await validate({ name: null })).toEqual({
      status: 400,
      errors: [{ field: 'name', message: expect.stringContaining('cannot be null') }],
    });
  });

  it('let null through on a nullable field, and validate its values as before', async () => {
    expect(await validate({ description: null })).toMatchObject({ description: null });
    expect(await validate({ description: 'too long' })).toMatchObject({ status: 400 });
    expect(await validate({ name: 'too long' })).toMatchObject({ status: 400 });
    expect(await validate({ name: 'ok', description: 'fine' })).toMatchObject({
      name: 'ok',
      description: 'fine',
    });
  });
});
