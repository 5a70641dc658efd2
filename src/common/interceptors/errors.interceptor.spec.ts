import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, throwError, of } from 'rxjs';
import { AppError } from '../errors/app-error';
import { MALFORMED_BODY, TOO_DEEP_BODY, TOO_LARGE_BODY } from '../http/malformed-body';
import { ErrorsInterceptor } from './errors.interceptor';

function contextWith(body: unknown): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => ({ body }) }) } as unknown as ExecutionContext;
}

describe('ErrorsInterceptor', () => {
  const interceptor = new ErrorsInterceptor();

  it('rejects a body the lenient parser marked malformed or too deep, before the handler runs', () => {
    const handle = jest.fn(() => of('never'));
    expect(() => interceptor.intercept(contextWith(MALFORMED_BODY), { handle } as CallHandler)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' }),
    );
    expect(() => interceptor.intercept(contextWith(TOO_DEEP_BODY), { handle } as CallHandler)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_JSON', message: expect.stringContaining('deeper than 32') }),
    );
    expect(() => interceptor.intercept(contextWith(TOO_LARGE_BODY), { handle } as CallHandler)).toThrow(
      expect.objectContaining({
        code: 'MALFORMED_JSON',
        message: expect.stringContaining('more than 1000 values'),
      }),
    );
    expect(handle).not.toHaveBeenCalled();
  });

  it('passes results and domain errors through unchanged', async () => {
    await expect(
      lastValueFrom(interceptor.intercept(contextWith({}), { handle: () => of(42) })),
    ).resolves.toBe(42);
    const domain = new AppError('INSUFFICIENT_STOCK');
    await expect(
      lastValueFrom(interceptor.intercept(contextWith({}), { handle: () => throwError(() => domain) })),
    ).rejects.toBe(domain);
  });

  it('turns a database outage into SERVICE_UNAVAILABLE', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(
      lastValueFrom(interceptor.intercept(contextWith({}), { handle: () => throwError(() => refused) })),
    ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', headers: { 'Retry-After': '1' } });
  });
});
