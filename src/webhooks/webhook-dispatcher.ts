import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { ActiveColorGate } from '../background/active-color.gate';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { APP_LOGGER } from '../core/logger.token';
import { DeliveryAttempts } from './delivery-attempt';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookMetrics } from './webhook-metrics';

/** Deliveries in flight at once per process. */
const CONCURRENCY = 32;
/** How often the oldest-pending gauge is refreshed (a scrape reads the cached value). */
const AGE_REFRESH_MS = 2000;
const CLAIM_ERROR_LOG_EVERY_MS = 60_000;

/**
 * The in-process delivery worker, off the request path. A loop claims due deliveries (WebhookDeliveriesRepository:
 * FOR UPDATE SKIP LOCKED, leased) while fewer than CONCURRENCY are in flight and hands each to
 * DeliveryAttempts. It runs only while this instance's colour is active (ActiveColorGate): it starts
 * and pauses with the active-colour file, without a restart; a pause stops claiming and lets the
 * sends under way finish. Stopped before shutdown, giving in-flight sends a bounded time and
 * abandoning the rest to their lease.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private shuttingDown = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private readonly leaseMs: number;
  private lastAgeRefresh = 0;
  private claimFailingSince: number | undefined;
  private lastClaimErrorLog = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly store: WebhookDeliveriesRepository,
    private readonly attempts: DeliveryAttempts,
    private readonly metrics: WebhookMetrics,
    private readonly gate: ActiveColorGate,
  ) {
    // The DNS lookup (bounded by the HTTP timeout), the HTTP timeout, and the bookkeeping around
    // them: a live dispatcher records its outcome before its lease runs out (and checks that it
    // still can before sending, see DeliveryAttempts); a dead one's claims come back after it.
    this.leaseMs = config.webhooks.timeoutMs * 2 + 5000;
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.dispatcherEnabled) return;
    this.unsubscribe = this.gate.onChange((active) => (active ? this.start() : this.pause()));
    if (this.gate.active) this.start();
  }

  /** Runs before the HTTP server and the database pool close, so outcomes can still be recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.unsubscribe?.();
    if (this.loop === undefined) return; // never started: nothing claimed, nothing to say
    this.running = false;
    this.wake?.();
    await this.loop;
    // Sends under way get a bounded time to finish; the rest are aborted and recorded as failed
    // attempts (or, if even that cannot happen, their lease brings them back).
    const budget = Math.min(
      this.config.webhooks.timeoutMs,
      Math.max(0, this.config.shutdownDrainTimeoutMs - 1000),
    );
    const drained = await Promise.race([
      Promise.all(this.inFlight).then(() => true),
      sleep(budget).then(() => false),
    ]);
    if (!drained) {
      this.stopping.abort();
      await Promise.race([Promise.all(this.inFlight), sleep(1000)]);
    }
    this.logger.info({ abandoned: drained ? 0 : this.inFlight.size }, 'webhook dispatcher stopped');
  }

  /** Asks an idle loop to look for due deliveries now (e.g. after a re-queue). */
  nudge(): void {
    this.wake?.();
  }

  private start(): void {
    if (this.shuttingDown || this.running) return;
    this.running = true;
    // A loop being paused may still be finishing its round: the new one follows it. (If the pause
    // had not taken effect yet, that loop simply goes on and the follower ends at once.)
    this.loop = (this.loop ?? Promise.resolve()).then(() => this.run());
    this.logger.info(
      { pollIntervalMs: this.config.webhooks.pollIntervalMs, leaseMs: this.leaseMs },
      'webhook dispatcher started',
    );
  }

  private async pause(): Promise<void> {
    if (!this.running || this.shuttingDown) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    // Only the instances that deliver know the outbox's age; the others say nothing is waiting on them.
    this.metrics.outboxAge(0);
    this.logger.info(
      { sendsFinishing: this.inFlight.size },
      'webhook dispatcher paused: this colour is not active (sends under way finish)',
    );
  }

  /**
   * A database outage would otherwise log an error on every poll: log the first failure, then at
   * most once a minute while it lasts, and the recovery once.
   */
  private noteClaimOutcome(error: unknown): void {
    const now = Date.now();
    if (error === undefined) {
      if (this.claimFailingSince !== undefined) {
        this.logger.info(
          { failingForMs: now - this.claimFailingSince },
          'webhook dispatcher: claiming works again',
        );
      }
      this.claimFailingSince = undefined;
      return;
    }
    if (this.claimFailingSince === undefined || now - this.lastClaimErrorLog >= CLAIM_ERROR_LOG_EVERY_MS) {
      this.logger.error(
        {
          err: error,
          failingSinceMs: this.claimFailingSince === undefined ? 0 : now - this.claimFailingSince,
        },
        'webhook dispatcher: claiming deliveries failed',
      );
      this.lastClaimErrorLog = now;
    }
    this.claimFailingSince ??= now;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      const free = CONCURRENCY - this.inFlight.size;
      try {
        await this.refreshAge();
        if (free > 0) {
          const batch = await this.store.claim(free, this.leaseMs);
          claimed = batch.length;
          for (const delivery of batch) this.track(this.attempts.attempt(delivery, this.stopping.signal));
        }
        this.noteClaimOutcome(undefined);
      } catch (error) {
        this.noteClaimOutcome(error);
      }
      // A full batch means more may be due: go again at once. At the in-flight limit, wait for a
      // send to finish; otherwise nothing more is due: wait for the poll interval (or a nudge).
      // While the database fails, poll no faster than once a second.
      if (!this.running) break;
      const interval =
        this.claimFailingSince === undefined
          ? this.config.webhooks.pollIntervalMs
          : Math.max(1000, this.config.webhooks.pollIntervalMs);
      if (free <= 0) await Promise.race([...this.inFlight, sleep(interval)]);
      else if (claimed < free) await this.idle(interval);
    }
  }

  /** Also ends the deliveries orphaned by a deleted subscription first, so they don't age the gauge. */
  private async refreshAge(): Promise<void> {
    if (Date.now() - this.lastAgeRefresh < AGE_REFRESH_MS) return;
    this.lastAgeRefresh = Date.now();
    const orphans = await this.store.deadOrphans();
    if (orphans > 0)
      this.logger.info({ deliveries: orphans }, 'webhook deliveries of deleted subscriptions ended dead');
    this.metrics.outboxAge(await this.store.oldestPendingAgeSeconds());
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
