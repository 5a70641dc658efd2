import { BadRequestException, NotFoundException } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { toProblem } from './problem';

describe('toProblem', () => {
  it('renders an AppError with its code, status, detail, field errors and headers', () => {
    const error = new AppError('VALIDATION_FAILED', 'The request is not valid.', {
      errors: [{ field: 'email', message: 'email must be an email' }],
      headers: { 'X-Extra': '1' },
    });
    const { problem, headers, unexpected } = toProblem(error, 'req-1');
    expect(problem).toEqual({
      type: 'https://bulwark.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'The request is not valid.',
      code: 'VALIDATION_FAILED',
      requestId: 'req-1',
      errors: [{ field: 'email', message: 'email must be an email' }],
    });
    expect(headers).toEqual({ 'X-Extra': '1' });
    expect(unexpected).toBe(false);
  });

  it('hides everything about an unexpected error', () => {
    const error = new Error(
      'duplicate key value violates unique constraint "users_email_key" at SELECT * FROM users',
    );
    const { problem, unexpected } = toProblem(error, 'req-2');
    expect(problem.status).toBe(500);
    expect(problem.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(problem)).not.toMatch(/users_email_key|SELECT|stack|at /);
    expect(unexpected).toBe(true);
  });

  it('maps database connection and timeout failures to 503 with Retry-After', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('Query failed'), {
        driverError: Object.assign(new Error('lock timeout'), { code: '55P03' }),
      }),
    ]) {
      const { problem, headers } = toProblem(error, 'r');
      expect(problem).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(headers['Retry-After']).toBe('1');
    }
  });

  it('maps framework and Fastify errors to their codes without their messages', () => {
    expect(toProblem(new NotFoundException('Cannot GET /secret/path'), 'r').problem).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(
      JSON.stringify(toProblem(new NotFoundException('Cannot GET /secret/path'), 'r').problem),
    ).not.toContain('/secret/path');
    expect(toProblem(new BadRequestException('x'), 'r').problem).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
    });
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(toProblem(tooLarge, 'r').problem).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const media = Object.assign(new Error('Unsupported Media Type'), {
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      statusCode: 415,
    });
    expect(toProblem(media, 'r').problem).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers a value the database refused (SQLSTATE class 22) with 400 BAD_REQUEST, never a 500, and flags it', () => {
    for (const [code, message] of [
      ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
      ['22P05', 'unsupported Unicode escape sequence'],
      ['22001', 'value too long for type character varying(64)'],
      ['22008', 'date/time field value out of range: "0000-01-01"'],
      ['22P02', 'invalid input syntax for type uuid: "x"'],
    ]) {
      const error = Object.assign(new Error('Query failed'), {
        driverError: Object.assign(new Error(message), { code, severity: 'ERROR' }),
      });
      const answer = toProblem(error, 'r');
      expect(answer.problem).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
      expect(JSON.stringify(answer.problem)).not.toContain(message);
      expect({ unexpected: answer.unexpected, refusedByDatabase: answer.refusedByDatabase }).toEqual({
        unexpected: false,
        refusedByDatabase: true,
      });
    }
    // Another class stays what it was: an integrity error that reaches here is unexpected.
    const other = toProblem(Object.assign(new Error('duplicate key'), { code: '23505' }), 'r');
    expect(other).toMatchObject({ unexpected: true, refusedByDatabase: false, problem: { status: 500 } });
  });

  it('lists at most the errors it is given and says how many more there were', () => {
    const error = new AppError('VALIDATION_FAILED', 'The request is not valid.', {
      errors: [{ field: 'a', message: 'property a should not exist' }],
      errorsOmitted: 41,
    });
    expect(toProblem(error, 'r').problem).toMatchObject({ errors: [{ field: 'a' }], errorsOmitted: 41 });
  });
});
