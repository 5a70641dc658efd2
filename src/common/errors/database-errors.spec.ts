import { isDatabaseUnavailable } from './database-errors';

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
