import { SetMetadata } from '@nestjs/common';

/** Named throttlers (src/rate-limit/rate-limit.module.ts). */
export const THROTTLERS = {
  /** Every route: RATE_LIMIT_PER_MINUTE per signed-in user, or per client address when anonymous. */
  DEFAULT: 'default',
  /** Login route only: LOGIN_RATE_LIMIT_PER_MINUTE per (e-mail, client address). */
  LOGIN: 'login',
  /** Order creation only: ORDER_RATE_LIMIT_PER_MINUTE per user. */
  ORDERS: 'orders',
} as const;

export const RATE_LIMIT_OPT_IN = 'bulwark:rateLimitOptIn';

/** The `login` throttler applies to this route (it is skipped everywhere else). */
export const LoginRateLimit = (): MethodDecorator => SetMetadata(RATE_LIMIT_OPT_IN, [THROTTLERS.LOGIN]);

/** The `orders` throttler applies to this route (it is skipped everywhere else). */
export const OrderRateLimit = (): MethodDecorator => SetMetadata(RATE_LIMIT_OPT_IN, [THROTTLERS.ORDERS]);
