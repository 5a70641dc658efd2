import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { PinoLogger } from 'nestjs-pino';
import { lastValueFrom, of } from 'rxjs';
import { LoggingInterceptor } from './logging.interceptor';

function contextWith(user: unknown): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => ({ user }) }) } as unknown as ExecutionContext;
}

describe('LoggingInterceptor', () => {
  it('binds the signed-in user id to the request logger', async () => {
    const assign = jest.fn();
    const interceptor = new LoggingInterceptor({ assign } as unknown as PinoLogger);
    const result = interceptor.intercept(contextWith({ id: 'u-1', role: 'user', sessionId: 's' }), { handle: () => of('ok') } as CallHandler);
    await expect(lastValueFrom(result)).resolves.toBe('ok');
    expect(assign).toHaveBeenCalledWith({ userId: 'u-1' });
  });

  it('binds nothing for an anonymous request', async () => {
    const assign = jest.fn();
    const interceptor = new LoggingInterceptor({ assign } as unknown as PinoLogger);
    await lastValueFrom(interceptor.intercept(contextWith(undefined), { handle: () => of('ok') } as CallHandler));
    expect(assign).not.toHaveBeenCalled();
  });
});
