import { ExecutionContext, Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { userOf } from '../common/auth-user';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { APP_LOGGER } from '../core/logger.token';
import { RATE_LIMIT_OPT_IN, THROTTLERS } from './rate-limit.decorator';
import { createThrottlerStorage } from './throttler-storage';
import { normalizeEmail } from '../common/email';
import { clientAddress } from '../common/http/client-address';
import { addressBucket } from './address-bucket';

const MINUTE_MS = 60_000;
// @Throttle({ name: … }) also opts a route in to a named throttler.
const THROTTLER_LIMIT_METADATA = 'THROTTLER:LIMIT';

/** True when the route (or its controller) opted in to the named throttler. */
export function optedIn(context: ExecutionContext, name: string): boolean {
  for (const target of [context.getHandler(), context.getClass()]) {
    const names = Reflect.getMetadata(RATE_LIMIT_OPT_IN, target) as string[] | undefined;
    if (names?.includes(name)) return true;
    if (Reflect.getMetadata(THROTTLER_LIMIT_METADATA + name, target) !== undefined) return true;
  }
  return false;
}

/** The caller: the signed-in user, else the client address (an IPv6 client by its /64). */
function callerTracker(request: FastifyRequest): string {
  const user = userOf(request);
  return user ? `user:${user.id}` : `ip:${addressBucket(clientAddress(request))}`;
}

/** The login throttler's key: the lower-cased e-mail of the body with the client's address bucket. */
export function loginTracker(request: FastifyRequest): string {
  const body = request.body as { email?: unknown } | undefined;
  const email =
    typeof body === 'object' && body !== null && typeof body.email === 'string'
      ? normalizeEmail(body.email)
      : '';
  return `${email}|${addressBucket(clientAddress(request))}`;
}

export function throttlerOptions(config: AppConfig, logger?: Logger): ThrottlerModuleOptions {
  return {
    storage: createThrottlerStorage(config, logger),
    setHeaders: false,
    // Counters are per caller across all routes (not per route, the library's default key).
    generateKey: (_context, tracker, name) => `${name}:${tracker}`,
    throttlers: [
      {
        name: THROTTLERS.DEFAULT,
        ttl: MINUTE_MS,
        limit: config.rateLimitPerMinute,
        getTracker: (request) => callerTracker(request as FastifyRequest),
      },
      {
        name: THROTTLERS.LOGIN,
        ttl: MINUTE_MS,
        limit: config.loginRateLimitPerMinute,
        skipIf: (context) => !optedIn(context, THROTTLERS.LOGIN),
        getTracker: (request) => loginTracker(request as FastifyRequest),
      },
      {
        name: THROTTLERS.ORDERS,
        ttl: MINUTE_MS,
        limit: config.orderRateLimitPerMinute,
        skipIf: (context) => !optedIn(context, THROTTLERS.ORDERS),
        getTracker: (request) => callerTracker(request as FastifyRequest),
      },
    ],
  };
}

/** Rate limits (docs/identity.md, "Rate limits"): the guard itself is registered in AppModule after authentication. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, APP_LOGGER],
      useFactory: (config: AppConfig, logger: Logger) => throttlerOptions(config, logger),
    }),
  ],
})
export class RateLimitModule {}
