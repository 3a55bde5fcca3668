import { Injectable, type PipeTransform } from '@nestjs/common';
import { validate as isUuid } from 'uuid';
import { AppError } from '../errors/app-error';

/**
 * Path ids are UUIDs. Anything else cannot name an object, so it answers 404 exactly as a
 * missing object does — and never reaches the database (PostgreSQL would reject the cast).
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !isUuid(value)) throw AppError.notFound();
    return value.toLowerCase();
  }
}
