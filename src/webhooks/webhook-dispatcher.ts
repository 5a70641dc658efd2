import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { APP_LOGGER } from '../logging/logger';
import { backoffDelayMs } from './backoff';
import { BreakerRegistry, CircuitOpenError } from './breaker-registry';
import { ClaimedDelivery, DeliveryStore } from './delivery-store';
import { SecretBox } from './secret-box';
import { signWebhook } from './signer';
import { parseWebhookUrl, resolveWebhookTarget, WebhookUrlRefused } from './url-guard';
import { WebhookMetrics } from './webhook-metrics';
import { postWebhook, SendFailure } from './webhook-sender';
import { WEBHOOK_SECRET_BOX } from './webhooks.tokens';

/** Deliveries in flight at once per process. */
const CONCURRENCY = 32;
/** How often the oldest-pending gauge is refreshed (a scrape reads the cached value). */
const AGE_REFRESH_MS = 2000;
const CLAIM_ERROR_LOG_EVERY_MS = 60_000;
/** Lease kept in hand beyond the HTTP timeout before sending, to record the outcome in. */
const RECORD_MARGIN_MS = 1000;

/**
 * The in-process delivery worker, off the request path. A loop claims due deliveries (DeliveryStore:
 * FOR UPDATE SKIP LOCKED, leased) while fewer than CONCURRENCY are in flight, and sends each one
 * outside any transaction: URL re-checked and pinned, body signed, POSTed through the endpoint's
 * circuit breaker; a 2xx marks it delivered, anything else schedules a retry with backoff or, after
 * WEBHOOK_MAX_ATTEMPTS, marks it dead. Started on application bootstrap; stopped before shutdown,
 * giving in-flight sends a bounded time and abandoning the rest to their lease.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private readonly breakers: BreakerRegistry;
  private readonly leaseMs: number;
  private lastAgeRefresh = 0;
  private claimFailingSince: number | undefined;
  private lastClaimErrorLog = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Inject(WEBHOOK_SECRET_BOX) private readonly secrets: SecretBox,
    private readonly store: DeliveryStore,
    private readonly metrics: WebhookMetrics,
  ) {
    const { breakerThreshold, breakerHalfOpenMs, timeoutMs } = config.webhooks;
    this.breakers = new BreakerRegistry({
      threshold: breakerThreshold,
      halfOpenMs: breakerHalfOpenMs,
      onStateChange: (subscriptionId, state) => {
        this.metrics.breakerState(subscriptionId, state);
        this.logger.warn({ subscriptionId, breaker: state }, `webhook endpoint circuit breaker ${state}`);
      },
    });
    // The DNS lookup (bounded by the HTTP timeout), the HTTP timeout, and the bookkeeping around
    // them: a live dispatcher records its outcome before its lease runs out (and checks that it
    // still can before sending, see attempt); a dead one's claims come back after it.
    this.leaseMs = timeoutMs * 2 + 5000;
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.dispatcherEnabled) return;
    this.running = true;
    this.loop = this.run();
    this.logger.info(
      { pollIntervalMs: this.config.webhooks.pollIntervalMs, leaseMs: this.leaseMs },
      'webhook dispatcher started',
    );
  }

  /** Runs before the HTTP server and the database pool close, so outcomes can still be recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
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

  /** Asks an idle loop to look for due deliveries now (e.g. after a re-queue). */
  nudge(): void {
    this.wake?.();
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
          for (const delivery of batch) this.track(this.attempt(delivery));
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

  /** One attempt of one delivery; never throws (every outcome is recorded or left to the lease). */
  private async attempt(d: ClaimedDelivery): Promise<void> {
    const log = this.logger.child({
      deliveryId: d.id,
      eventId: d.eventId,
      subscriptionId: d.subscriptionId,
      attempt: d.attempt,
    });
    const started = Date.now();
    try {
      const { timeoutMs } = this.config.webhooks;
      const url = parseWebhookUrl(d.url);
      const target = await resolveWebhookTarget(url, this.config.webhooksAllowPrivate, { timeoutMs });
      const secret = this.secrets.open(d.secretCiphertext, d.subscriptionId);
      const body = JSON.stringify({
        type: d.eventType,
        timestamp: new Date(d.eventCreatedAt).toISOString(),
        data: d.payload,
      });
      const headers = {
        ...signWebhook(secret, d.eventId, new Date(), body),
        'webhook-attempt': String(d.attempt),
      };
      // Sending when the lease may run out mid-send would let another replica claim and send it too.
      const leaseLeftMs = d.leaseDeadline - performance.now();
      if (leaseLeftMs < timeoutMs + RECORD_MARGIN_MS) throw new LeaseRanShort(leaseLeftMs);
      const result = await this.breakers.run(d.subscriptionId, async () => {
        const answer = await postWebhook(url, target, headers, body, timeoutMs, this.stopping.signal);
        if (answer.statusCode < 200 || answer.statusCode > 299) throw new ReceiverRefused(answer.statusCode);
        return answer;
      });
      await this.store.markDelivered(d, result.statusCode);
      this.metrics.delivery('delivered');
      log.info({ statusCode: result.statusCode, ms: Date.now() - started }, 'webhook delivered');
    } catch (error) {
      await this.recordFailure(d, error, log, started);
    }
  }

  private async recordFailure(
    d: ClaimedDelivery,
    error: unknown,
    log: Logger,
    started: number,
  ): Promise<void> {
    try {
      if (error instanceof CircuitOpenError) {
        // Not an attempt: nothing was sent. Come back when the breaker may let a probe through.
        const wait =
          Math.max(error.retryInMs, this.config.webhooks.pollIntervalMs) +
          Math.random() * this.config.webhooks.pollIntervalMs;
        await this.store.release(d, wait, 'circuit breaker open');
        log.debug({ retryInMs: Math.round(wait) }, 'webhook postponed: circuit breaker open');
        return;
      }
      if (error instanceof LeaseRanShort) {
        // Not an attempt either: handed back, due again at once under a fresh lease.
        await this.store.release(d, 0, 'claim handed back: lease too short to send');
        log.warn(
          { leaseLeftMs: Math.round(error.leaseLeftMs) },
          'webhook attempt handed back: its lease was too short to send',
        );
        return;
      }
      const statusCode = error instanceof ReceiverRefused ? error.statusCode : null;
      const reason =
        error instanceof ReceiverRefused
          ? `receiver answered ${error.statusCode}`
          : error instanceof SendFailure || error instanceof WebhookUrlRefused
            ? error.message
            : 'internal error preparing the delivery';
      if (!(
        error instanceof ReceiverRefused ||
        error instanceof SendFailure ||
        error instanceof WebhookUrlRefused
      )) {
        log.error({ err: error }, 'webhook attempt failed unexpectedly');
      }
      const dead = d.attempt >= this.config.webhooks.maxAttempts;
      const retryInMs = dead
        ? 0
        : backoffDelayMs(d.attempt, this.config.webhooks.baseDelayMs, this.config.webhooks.maxDelayMs);
      await this.store.markFailed(d, { dead, retryInMs, statusCode, error: reason });
      this.metrics.delivery(dead ? 'dead' : 'failed');
      const fields = { statusCode, error: reason, ms: Date.now() - started, ...(dead ? {} : { retryInMs }) };
      if (dead) log.warn(fields, 'webhook delivery dead: no attempts left');
      else log.info(fields, 'webhook attempt failed; retry scheduled');
    } catch (recordError) {
      // The database is unreachable: the lease brings the delivery back; nothing is lost.
      log.error(
        { err: recordError },
        'webhook attempt outcome could not be recorded; the lease will retry it',
      );
    }
  }
}

/** The receiver answered, but not with a 2xx. */
class ReceiverRefused extends Error {
  constructor(readonly statusCode: number) {
    super(`receiver answered ${statusCode}`);
    this.name = 'ReceiverRefused';
  }
}

/** Too little of the claim's lease is left to send and record the outcome before it runs out. */
class LeaseRanShort extends Error {
  constructor(readonly leaseLeftMs: number) {
    super('lease too short to send');
    this.name = 'LeaseRanShort';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
