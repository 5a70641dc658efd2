export { LoginRateLimit, OrderRateLimit, THROTTLERS } from './rate-limit.decorators';
export { createThrottlerStorage } from './throttler-storage';
