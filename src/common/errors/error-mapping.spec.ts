import {
  CannotExecuteNotConnectedError,
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './error-code';
import { isDatabaseUnavailable, toAppError } from './error-mapping';

/** A driver error as node-postgres or better-sqlite3 raises it: a message and a code. */
function driverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('toAppError and database outages', () => {
  it.each([
    ['a transaction whose connection was dropped', new QueryRunnerProviderAlreadyReleasedError()],
    ['a released query runner', new QueryRunnerAlreadyReleasedError()],
    ['a data source that is not connected', new CannotExecuteNotConnectedError()],
    ['an administrator shutdown (57P01)', driverError('57P01', 'terminating connection')],
    ['a server starting up (57P03)', driverError('57P03', 'the database system is starting up')],
    ['a refused connection', driverError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    [
      'a failed query whose cause is a lost connection',
      new QueryFailedError('SELECT 1', [], driverError('57P01', 'terminating connection')),
    ],
    [
      'a pool that waited too long for a connection',
      new Error('timeout exceeded when trying to connect'),
    ],
    ['a busy SQLite file', driverError('SQLITE_BUSY', 'database is locked')],
  ])('answers 503 with Retry-After for %s', (_case, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    const { appError, unexpected } = toAppError(error);
    expect(appError.status).toBe(503);
    expect(appError.code).toBe(ErrorCode.ServiceUnavailable);
    expect(appError.headers).toEqual({ 'Retry-After': '2' });
    expect(unexpected).toBe(false);
  });

  it('keeps a bad query a 500 that is logged, and says nothing of it to the client', () => {
    const error = new QueryFailedError(
      'SELEC 1',
      [],
      driverError('42601', 'syntax error at or near "SELEC"'),
    );
    expect(isDatabaseUnavailable(error)).toBe(false);
    const { appError, unexpected } = toAppError(error);
    expect(appError.status).toBe(500);
    expect(unexpected).toBe(true);
    expect(`${appError.message} ${appError.detail} ${JSON.stringify(appError)}`).not.toMatch(
      /SELEC|syntax/,
    );
  });

  it('turns a unique violation into a 409 conflict', () => {
    const error = new QueryFailedError('INSERT', [], driverError('23505', 'duplicate key value'));
    const { appError, unexpected } = toAppError(error);
    expect(appError.status).toBe(409);
    expect(unexpected).toBe(false);
  });
});
