import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { PinoLogger } from 'nestjs-pino';
import { lastValueFrom, of } from 'rxjs';
import { LoggingInterceptor } from './logging.interceptor';

function contextWith(user: unknown): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => ({ id: 'req-1', user }) }),
  } as unknown as ExecutionContext;
}

describe('LoggingInterceptor', () => {
  it('runs the handler in a logging context bound to the signed-in user id', async () => {
    const runInContext = jest.fn((fn: () => unknown) => fn());
    const interceptor = new LoggingInterceptor({ runInContext } as unknown as PinoLogger);
    const result = interceptor.intercept(contextWith({ id: 'u-1', role: 'user', sessionId: 's' }), {
      handle: () => of('ok'),
    } as CallHandler);
    await expect(lastValueFrom(result)).resolves.toBe('ok');
    expect(runInContext).toHaveBeenCalledWith(expect.any(Function), {
      bindings: { requestId: 'req-1', userId: 'u-1' },
      inherit: true,
    });
  });

  it('binds nothing for an anonymous request', async () => {
    const runInContext = jest.fn();
    const interceptor = new LoggingInterceptor({ runInContext } as unknown as PinoLogger);
    await lastValueFrom(
      interceptor.intercept(contextWith(undefined), { handle: () => of('ok') } as CallHandler),
    );
    expect(runInContext).not.toHaveBeenCalled();
  });
});
