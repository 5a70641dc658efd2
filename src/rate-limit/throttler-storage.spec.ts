import type { Logger } from 'pino';
import { ResilientRedisThrottlerStorage } from './throttler-storage';

describe('ResilientRedisThrottlerStorage', () => {
  it('falls back to in-process counts on a Redis failure and back to Redis on the first success', async () => {
    const logger = { warn: jest.fn(), info: jest.fn() } as unknown as Logger;
    // Nothing listens on port 1: the client never connects; Redis is simulated below.
    const storage = new ResilientRedisThrottlerStorage('redis://127.0.0.1:1', logger);
    try {
      Object.defineProperty(storage.redis, 'status', { value: 'ready', configurable: true });
      const record = { totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 };
      const shared = { increment: jest.fn() };
      (storage as unknown as { shared: typeof shared }).shared = shared;
      const skipUntil = (ms: number) =>
        ((storage as unknown as { skipRedisUntil: number }).skipRedisUntil = ms);

      shared.increment.mockRejectedValueOnce(new Error('Command timed out'));
      const local = await storage.increment('k', 60_000, 5, 0, 'default');
      expect(local.totalHits).toBe(1); // counted in this process
      expect(logger.warn).toHaveBeenCalledTimes(1);

      skipUntil(0); // the retry pause is over; no reconnect happened (a timeout, not a disconnect)
      shared.increment.mockResolvedValueOnce(record);
      await expect(storage.increment('k', 60_000, 5, 0, 'default')).resolves.toBe(record);
      expect(logger.info).toHaveBeenCalledWith('rate limits: Redis is back, counters are shared again');

      shared.increment.mockRejectedValueOnce(new Error('Command timed out'));
      await storage.increment('k', 60_000, 5, 0, 'default');
      expect(logger.warn).toHaveBeenCalledTimes(2); // the second outage is reported too
    } finally {
      storage.onModuleDestroy();
    }
  });
});
