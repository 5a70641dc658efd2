import { OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';

type Increment = ThrottlerStorage['increment'];
type StorageRecord = Awaited<ReturnType<Increment>>;

/** How long a Redis command may take before the request falls back to the in-process store. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** After a Redis failure, how long requests skip Redis instead of each paying the timeout. */
export const REDIS_RETRY_AFTER_MS = 5000;

/**
 * Rate-limit counters in Redis, shared by every replica (`REDIS_URL`), through the maintained
 * `@nest-lab/throttler-storage-redis` (one atomic Lua script per hit).
 *
 * A Redis outage must not become an API outage (availability before the precision of a limit): when
 * Redis is unreachable or slow, hits are counted in the process (each replica then enforces the limit
 * alone, so the effective limit is at most N times higher) and a warning is logged once; Redis is
 * tried again after REDIS_RETRY_AFTER_MS. The connection is closed when the application shuts down
 * (Nest calls `onModuleDestroy` on the throttler's storage provider).
 */
export class ResilientRedisThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  readonly redis: Redis;
  private readonly shared: ThrottlerStorageRedisService;
  private readonly local = new ThrottlerStorageService();
  private skipRedisUntil = 0;
  private degraded = false;

  constructor(
    redisUrl: string,
    private readonly logger?: Logger,
  ) {
    this.redis = new Redis(redisUrl, {
      // Fail fast instead of queueing while disconnected: the request falls back, never waits.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    // Without a listener ioredis reports every failed reconnect on stderr; errors are handled here.
    this.redis.on('error', (error: Error) => this.fellBack(error));
    this.redis.on('ready', () => this.recovered());
    this.shared = new ThrottlerStorageRedisService(this.redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<StorageRecord> {
    if (this.redis.status === 'ready' && Date.now() >= this.skipRedisUntil) {
      try {
        const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
        // A timed-out command needs no reconnect to come back: the first success ends the fallback.
        if (this.degraded) this.recovered();
        return record;
      } catch (error) {
        this.fellBack(error);
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  onModuleDestroy(): void {
    this.redis.disconnect(false);
    this.local.onApplicationShutdown();
  }

  private recovered(): void {
    if (this.degraded) this.logger?.info('rate limits: Redis is back, counters are shared again');
    this.degraded = false;
    this.skipRedisUntil = 0;
  }

  private fellBack(error: unknown): void {
    this.skipRedisUntil = Date.now() + REDIS_RETRY_AFTER_MS;
    if (this.degraded) return;
    this.degraded = true;
    this.logger?.warn(
      { err: error },
      'rate limits: Redis unavailable, counting in this process until it returns',
    );
  }
}

/**
 * Where rate-limit counters live: `undefined` = the throttler's in-process store (one replica);
 * with `REDIS_URL`, Redis, shared by every replica. Pass the app logger so Redis outages are logged.
 */
export function createThrottlerStorage(config: AppConfig, logger?: Logger): ThrottlerStorage | undefined {
  return config.redisUrl ? new ResilientRedisThrottlerStorage(config.redisUrl, logger) : undefined;
}
