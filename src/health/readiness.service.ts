import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Lifecycle } from '../common/lifecycle';
import { APP_LOGGER } from '../core/logger.token';
import { DatabaseProbe } from '../database/database-probe';
import { MetricsService } from '../metrics/metrics.service';

/** A readiness database ping longer than this counts as "not answering". */
export const READINESS_DB_TIMEOUT_MS = 1000;

/**
 * The three readiness indicators (docs/operations.md, "Health"): no shutdown under way, the database answers,
 * every migration the code knows is applied. Failure messages are fixed strings (the probe is
 * anonymous: no host, port or SQL reaches it); the real cause is logged, once per change of state.
 */
@Injectable()
export class ReadinessIndicators {
  /** Migrations never un-apply: once all are seen, the check is skipped (one query less per probe). */
  private migrationsSeenApplied = false;
  private lastFailure: string | undefined;
  /** Whether an answer has been given yet: the first one is a start, not a change. */
  private answered = false;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: Lifecycle,
    private readonly dataSource: DataSource,
    private readonly probe: DatabaseProbe,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  shutdown() {
    const check = this.indicators.check('shutdown');
    return this.lifecycle.shuttingDown ? check.down({ message: 'shutdown under way' }) : check.up();
  }

  database() {
    return this.indicators
      .check('database')
      .attempt(async () => {
        await this.guarded(
          'database',
          () => this.probe.ping(READINESS_DB_TIMEOUT_MS),
          'database not answering',
        );
      })
      .withTimeout(READINESS_DB_TIMEOUT_MS);
  }

  migrations() {
    return this.indicators
      .check('migrations')
      .attempt(async () => {
        if (this.migrationsSeenApplied) return;
        const pending = await this.guarded(
          'migrations',
          () => this.pendingMigrations(),
          'migration state unknown',
        );
        if (pending.length > 0) throw new Error(`${pending.length} migration(s) not applied`);
        this.migrationsSeenApplied = true;
      })
      .withTimeout(READINESS_DB_TIMEOUT_MS);
  }

  /**
   * Logs "not ready" and "ready again" transitions, not every failed probe, and counts changes between
   * ready and not ready in `bulwark_readiness_transitions_total` (the BulwarkReadinessFlapping alert).
   * A change of reason while not ready is logged but not counted.
   */
  noteOutcome(failure: string | undefined): void {
    const first = !this.answered;
    this.answered = true;
    if (failure === this.lastFailure && !first) return;
    const wasReady = first ? undefined : this.lastFailure === undefined;
    if (failure) this.logger.warn({ failure }, 'readiness: not ready');
    else if (!first) this.logger.info({ previously: this.lastFailure }, 'readiness: ready');
    if (wasReady !== undefined && wasReady !== (failure === undefined))
      this.metrics.readinessChanged(failure ? 'not_ready' : 'ready');
    this.lastFailure = failure;
  }

  /**
   * Names known to the code, minus those recorded in the migrations table. One read of a small table
   * on the probe's own connection (beside the pool, like the ping), not TypeORM's showMigrations
   * (which creates the table and holds a query runner that a failing query would leak).
   */
  private async pendingMigrations(): Promise<string[]> {
    const table = this.dataSource.options.migrationsTableName ?? 'migrations';
    const applied = new Set(await this.probe.appliedMigrations(table, READINESS_DB_TIMEOUT_MS));
    return this.dataSource.migrations
      .map((m) => m.name ?? m.constructor.name)
      .filter((name) => !applied.has(name));
  }

  private async guarded<T>(what: string, fn: () => Promise<T>, publicMessage: string): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.logger.debug({ err: error, check: what }, 'readiness check failed');
      throw new Error(publicMessage);
    }
  }
}
