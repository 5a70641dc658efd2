import { Inject, Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_LOGGER } from '../logging/logger';

/** Delivered attempts are kept this long (for `GET /v1/webhooks/:id/deliveries?status=delivered`). */
export const DELIVERED_RETENTION_DAYS = 7;
/** Dead deliveries are kept longer: an admin may still re-queue them. */
export const DEAD_RETENTION_DAYS = 30;

/**
 * Hourly: forgets delivered deliveries after 7 days and dead ones after 30, then the outbox events
 * left with no delivery and older than 7 days. Pending deliveries are never touched. Harmless when
 * several replicas run it at once.
 */
@Injectable()
export class WebhookRetentionJob {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'webhook-retention' })
  async purge(): Promise<{ deliveries: number; events: number }> {
    try {
      const [, deliveries] = (await this.dataSource.query(
        `DELETE FROM webhook_deliveries
          WHERE (status = 'delivered' AND delivered_at < now() - make_interval(days => $1))
             OR (status = 'dead' AND updated_at < now() - make_interval(days => $2))`,
        [DELIVERED_RETENTION_DAYS, DEAD_RETENTION_DAYS],
      )) as [unknown, number];
      const [, events] = (await this.dataSource.query(
        `DELETE FROM outbox_events e
          WHERE e.created_at < now() - make_interval(days => $1)
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`,
        [DELIVERED_RETENTION_DAYS],
      )) as [unknown, number];
      if (deliveries + events > 0)
        this.logger.info({ deliveries, events }, 'webhooks: purged old deliveries and events');
      return { deliveries, events };
    } catch (error) {
      this.logger.warn({ err: error }, 'webhooks: retention purge failed');
      return { deliveries: 0, events: 0 };
    }
  }
}
