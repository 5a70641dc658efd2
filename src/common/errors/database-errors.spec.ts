import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { ServiceUnavailableError } from './app-error';
import {
  DatabaseTimeoutError,
  isConnectionLost,
  isDatabaseUnavailable,
  translateInfrastructureError,
} from './database-errors';

function pgError(message: string, code: string, severity = 'ERROR'): Error {
  return Object.assign(new Error(message), { code, severity });
}

describe('isDatabaseUnavailable', () => {
  it('treats any FATAL error as unavailability (the session is gone), e.g. a database refusing connections', () => {
    expect(
      isDatabaseUnavailable(pgError('database "x" is not currently accepting connections', '55000', 'FATAL')),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('query failed'), { driverError: pgError('x', '28P01', 'FATAL') }),
      ),
    ).toBe(true);
  });

  it('keeps ordinary statement errors as they are', () => {
    expect(isDatabaseUnavailable(pgError('duplicate key', '23505'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('object not in prerequisite state', '55000'))).toBe(false);
  });
});

describe('client-side timeouts and connect bounds (issue 14 finding 6, issue 18)', () => {
  it('are unavailability (503), whether raised directly or wrapped by TypeORM or pg-pool', () => {
    const timeout = new DatabaseTimeoutError('statement', 1500);
    expect(isDatabaseUnavailable(timeout)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error(timeout.message), { driverError: timeout }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new DatabaseTimeoutError('connection', 0))).toBe(true);
    // pg's own connect bound, and pg-pool's wrapping of it.
    const expired = new Error('timeout expired');
    expect(isDatabaseUnavailable(expired)).toBe(true);
    expect(
      isDatabaseUnavailable(new Error('Connection terminated due to connection timeout', { cause: expired })),
    ).toBe(true);
    expect(translateInfrastructureError(timeout)).toBeInstanceOf(ServiceUnavailableError);
  });

  it('include a transaction whose connection died between two statements', () => {
    expect(isDatabaseUnavailable(new QueryRunnerAlreadyReleasedError())).toBe(true);
  });

  it('are not a lost connection: no immediate second wait on another connection', () => {
    expect(isConnectionLost(new DatabaseTimeoutError('statement', 1500))).toBe(false);
    expect(isConnectionLost(new Error('Connection terminated due to connection timeout'))).toBe(false);
    expect(isConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('say whether anything was waited for', () => {
    expect(new DatabaseTimeoutError('statement', 1500).message).toBe(
      'no answer from the database within 1500 ms; the connection was discarded',
    );
    expect(new DatabaseTimeoutError('connection', 0).message).toMatch(/budget is spent/);
  });
});
