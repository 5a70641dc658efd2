import { Inject, Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { housekeeping } from '../database/housekeeping';
import { ActiveColorGate } from '../background/active-color.gate';
import { APP_LOGGER } from '../core/logger.token';
import { IdempotencyRepository } from './idempotency.repository';

/** Kept answers live at least this long (docs/idempotency.md, "Retention": at least 24 h). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Hourly: forget kept answers older than the retention. Harmless when several replicas run it at once. */
@Injectable()
export class IdempotencyPurgeJob {
  constructor(
    private readonly repository: IdempotencyRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly gate: ActiveColorGate,
  ) {}

  /** What the scheduler runs: the purge, in pods of the active colour only (ActiveColorGate). */
  @Cron(CronExpression.EVERY_HOUR, { name: 'idempotency-purge' })
  async scheduledPurge(): Promise<void> {
    await this.gate.whenActive('idempotency-purge', () => this.purge());
  }

  async purge(): Promise<number> {
    const { answers } = await housekeeping(
      this.logger,
      'idempotency: expired answers',
      { answers: 0 },
      async () => ({
        answers: await this.repository.purgeOlderThan(IDEMPOTENCY_RETENTION_MS),
      }),
    );
    return answers;
  }
}
