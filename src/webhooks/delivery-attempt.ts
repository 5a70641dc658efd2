import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { APP_LOGGER } from '../core/logger.token';
import { BreakerRegistry } from './breaker-registry';
import { classifyFailure, LeaseRanShort, ReceiverRefused } from './delivery-failure';
import { ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { SecretBox } from './secret-box';
import { signWebhook } from './signer';
import { parseWebhookUrl, resolveWebhookTarget } from './url-guard';
import { WebhookMetrics } from './webhook-metrics';
import { postWebhook } from './webhook-sender';
import { SpanHandle, tracing } from '../tracing/tracing';
import { WEBHOOK_SECRET_BOX } from './webhooks.tokens';

/**
 * Lease kept in hand beyond the HTTP timeout before sending, to record the outcome in: a sender whose
 * event loop stalls between the answer and the record by more than this lets the lease run out, and
 * another replica sends the event again (at least once). 1 s was outlasted once on a CI machine
 * running two suites at once (an event delivered twice to the two-replica spec).
 */
const RECORD_MARGIN_MS = 3000;

/**
 * One attempt of one claimed delivery, outside any transaction: URL re-checked and pinned, body
 * signed, POSTed through the endpoint's circuit breaker; a 2xx marks it delivered, anything else is
 * classified (delivery-failure.ts) and recorded. The dispatcher decides when attempts are made.
 */
@Injectable()
export class DeliveryAttempts {
  private readonly breakers: BreakerRegistry;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Inject(WEBHOOK_SECRET_BOX) private readonly secrets: SecretBox,
    private readonly store: WebhookDeliveriesRepository,
    private readonly metrics: WebhookMetrics,
  ) {
    const { breakerThreshold, breakerHalfOpenMs } = config.webhooks;
    this.breakers = new BreakerRegistry({
      threshold: breakerThreshold,
      halfOpenMs: breakerHalfOpenMs,
      onStateChange: (subscriptionId, state) => {
        this.metrics.breakerState(subscriptionId, state);
        this.logger.warn({ subscriptionId, breaker: state }, `webhook endpoint circuit breaker ${state}`);
      },
    });
  }

  /**
   * Never throws: every outcome is recorded, or left to the lease when the database is away. With
   * tracing on, the attempt is a span continuing the trace of the request that wrote the event, and
   * its `traceparent` is sent to the receiver (docs/tracing.md).
   */
  async attempt(d: ClaimedDelivery, stopping?: AbortSignal): Promise<void> {
    const traces = tracing();
    if (!traces) return this.attemptOnce(d, stopping);
    return traces.withSpan(
      'webhook delivery',
      {
        kind: 'client',
        parent: d.traceParent,
        attributes: {
          'bulwark.delivery_id': d.id,
          'bulwark.event_id': d.eventId,
          'bulwark.subscription_id': d.subscriptionId,
          'bulwark.delivery.attempt': d.attempt,
        },
      },
      (span) => this.attemptOnce(d, stopping, span),
    );
  }

  private async attemptOnce(d: ClaimedDelivery, stopping?: AbortSignal, span?: SpanHandle): Promise<void> {
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
      const headers: Record<string, string> = {
        ...signWebhook(secret, d.eventId, new Date(), body),
        'webhook-attempt': String(d.attempt),
      };
      if (span) headers.traceparent = span.traceparent;
      // Sending when the lease may run out mid-send would let another replica claim and send it too.
      const leaseLeftMs = d.leaseDeadline - performance.now();
      if (leaseLeftMs < timeoutMs + RECORD_MARGIN_MS) throw new LeaseRanShort(leaseLeftMs);
      const result = await this.breakers.run(d.subscriptionId, async () => {
        const answer = await postWebhook(url, target, headers, body, timeoutMs, stopping);
        if (answer.statusCode < 200 || answer.statusCode > 299) throw new ReceiverRefused(answer.statusCode);
        return answer;
      });
      span?.setAttribute('http.response.status_code', result.statusCode);
      await this.store.markDelivered(d, result.statusCode);
      this.metrics.delivery('delivered');
      log.info({ statusCode: result.statusCode, ms: Date.now() - started }, 'webhook delivered');
    } catch (error) {
      span?.fail(error instanceof Error ? error.message : String(error));
      await this.recordFailure(d, error, log, started);
    }
  }

  private async recordFailure(
    d: ClaimedDelivery,
    error: unknown,
    log: Logger,
    started: number,
  ): Promise<void> {
    const outcome = classifyFailure(error, d.attempt, this.config.webhooks);
    try {
      switch (outcome.kind) {
        case 'postponed':
          await this.store.release(d, outcome.waitMs, outcome.reason);
          log.debug({ retryInMs: Math.round(outcome.waitMs) }, 'webhook postponed: circuit breaker open');
          return;
        case 'handed-back':
          await this.store.release(d, 0, outcome.reason);
          log.warn(
            { leaseLeftMs: Math.round(outcome.leaseLeftMs) },
            'webhook attempt handed back: its lease was too short to send',
          );
          return;
        case 'failed': {
          if (!outcome.expected) log.error({ err: error }, 'webhook attempt failed unexpectedly');
          const { dead, retryInMs, statusCode, reason } = outcome;
          await this.store.markFailed(d, { dead, retryInMs, statusCode, error: reason });
          this.metrics.delivery(dead ? 'dead' : 'failed');
          const fields = {
            statusCode,
            error: reason,
            ms: Date.now() - started,
            ...(dead ? {} : { retryInMs }),
          };
          if (dead) log.warn(fields, 'webhook delivery dead: no attempts left');
          else log.info(fields, 'webhook attempt failed; retry scheduled');
          return;
        }
      }
    } catch (recordError) {
      // The database is unreachable: the lease brings the delivery back; nothing is lost.
      log.error(
        { err: recordError },
        'webhook attempt outcome could not be recorded; the lease will retry it',
      );
    }
  }
}
