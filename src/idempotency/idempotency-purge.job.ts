import { Inject, Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { APP_LOGGER } from '../logging/logger';
import { IdempotencyRepository } from './idempotency.repository';

/** Kept answers live at least this long (CONTRACT: "at least 24 h"). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Hourly: forget kept answers older than the retention. Harmless when several replicas run it at once. */
@Injectable()
export class IdempotencyPurgeJob {
  constructor(
    private readonly repository: IdempotencyRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'idempotency-purge' })
  async purge(): Promise<number> {
    try {
      const deleted = await this.repository.purgeOlderThan(IDEMPOTENCY_RETENTION_MS);
      if (deleted > 0) this.logger.info({ deleted }, 'idempotency: purged expired answers');
      return deleted;
    } catch (error) {
      // A missed run is retried by the next one; the records only grow older.
      this.logger.warn({ err: error }, 'idempotency: purge failed');
      return 0;
    }
  }
}
