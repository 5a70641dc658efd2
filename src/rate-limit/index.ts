export { LoginRateLimit, OrderRateLimit, THROTTLERS } from './rate-limit.decorator';
export { createThrottlerStorage } from './throttler-storage';
