import { Inject, Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { housekeeping } from '../database/housekeeping';
import { ActiveColorGate } from '../background/active-color.gate';
import { APP_LOGGER } from '../core/logger.token';
import { OutboxRepository } from './outbox.repository';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

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
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly outbox: OutboxRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly gate: ActiveColorGate,
  ) {}

  /** What the scheduler runs: the purge, in pods of the active colour only (ActiveColorGate). */
  @Cron(CronExpression.EVERY_HOUR, { name: 'webhook-retention' })
  async scheduledPurge(): Promise<void> {
    await this.gate.whenActive('webhook-retention', () => this.purge());
  }

  purge(): Promise<{ deliveries: number; events: number }> {
    return housekeeping(
      this.logger,
      'webhooks: old deliveries and events',
      { deliveries: 0, events: 0 },
      async () => {
        const deliveries = await this.deliveries.purgeFinished(DELIVERED_RETENTION_DAYS, DEAD_RETENTION_DAYS);
        const events = await this.outbox.purgeUnreferenced(DELIVERED_RETENTION_DAYS);
        return { deliveries, events };
      },
    );
  }
}
