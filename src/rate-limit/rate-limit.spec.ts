import type { ExecutionContext } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../common/errors/app-error';
import { testConfig } from '../config/config';
import { BulwarkThrottlerGuard } from './bulwark-throttler.guard';
import { LoginRateLimit, OrderRateLimit, THROTTLERS } from './rate-limit.decorator';
import { loginTracker, optedIn, throttlerOptions } from './rate-limit.module';

class Routes {
  @LoginRateLimit()
  login(): void {}

  @OrderRateLimit()
  createOrder(): void {}

  @Throttle({ orders: { limit: 3, ttl: 60_000 } })
  viaThrottle(): void {}

  plain(): void {}
}

function contextFor(handler: keyof Routes): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
  } as unknown as ExecutionContext;
}

describe('rate limits', () => {
  it('named throttlers apply only where a route opts in', () => {
    expect(optedIn(contextFor('login'), THROTTLERS.LOGIN)).toBe(true);
    expect(optedIn(contextFor('login'), THROTTLERS.ORDERS)).toBe(false);
    expect(optedIn(contextFor('createOrder'), THROTTLERS.ORDERS)).toBe(true);
    expect(optedIn(contextFor('viaThrottle'), THROTTLERS.ORDERS)).toBe(true);
    expect(optedIn(contextFor('plain'), THROTTLERS.LOGIN)).toBe(false);
    expect(optedIn(contextFor('plain'), THROTTLERS.ORDERS)).toBe(false);
  });

  it('keys login tries by (lower-cased e-mail, client address)', () => {
    const request = (body: unknown, ip: string) => ({ body, ip }) as unknown as FastifyRequest;
    expect(loginTracker(request({ email: '  Ada@Example.COM ' }, '10.0.0.1'))).toBe(
      'ada@example.com|10.0.0.1',
    );
    expect(loginTracker(request({ email: 42 }, '10.0.0.1'))).toBe('|10.0.0.1');
    expect(loginTracker(request(undefined, '::1'))).toBe('|::/64');
    expect(loginTracker(request({ email: 'a@b.c' }, '::ffff:10.0.0.1'))).toBe('a@b.c|10.0.0.1');
    expect(loginTracker(request({ email: 'a@b.c' }, '2001:db8::7'))).toBe(
      loginTracker(request({ email: 'a@b.c' }, '2001:db8::8')),
    );
  });

  it('takes the limits from the configuration, one window of a minute each, counting across routes', () => {
    const options = throttlerOptions(
      testConfig({ rateLimitPerMinute: 7, loginRateLimitPerMinute: 3, orderRateLimitPerMinute: 2 }),
    );
    if (Array.isArray(options)) throw new Error('expected the object form');
    expect(options.throttlers.map((x) => [x.name, x.limit, x.ttl])).toEqual([
      ['default', 7, 60_000],
      ['login', 3, 60_000],
      ['orders', 2, 60_000],
    ]);
    expect(options.generateKey?.(contextFor('plain'), 'user:1', 'default')).toBe('default:user:1');
    const tracker = options.throttlers[0].getTracker!;
    expect(tracker({ user: { id: 'u-1' }, ip: '1.2.3.4' }, contextFor('plain'))).toBe('user:u-1');
    expect(tracker({ ip: '1.2.3.4' }, contextFor('plain'))).toBe('ip:1.2.3.4');
  });

  it('answers 429 RATE_LIMITED with a plain Retry-After in whole seconds', async () => {
    const guard = Object.create(BulwarkThrottlerGuard.prototype) as BulwarkThrottlerGuard;
    const thrown = await (
      guard as unknown as { throwThrottlingException: (c: unknown, d: object) => Promise<void> }
    )
      .throwThrottlingException(contextFor('login'), { timeToBlockExpire: 42.2, timeToExpire: 10 })
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('RATE_LIMITED');
    expect((thrown as AppError).headers).toEqual({ 'Retry-After': '43' });
  });
});
