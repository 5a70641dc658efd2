import { Injectable, Optional } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { METRIC_NAMES, WebhookDeliveryResult } from '../metrics/metric-names';
import { MetricsService } from '../metrics/metrics.service';
import type { BreakerState } from './breaker-registry';

const BREAKER_STATE_VALUES: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };

/**
 * The dispatcher's series: `bulwark_webhook_deliveries_total{result}` and the outbox's oldest pending age
 * (MetricsService), and `bulwark_webhook_circuit_breaker_state{subscription_id}` (0 closed, 1 open,
 * 2 half-open), registered here on the service's registry.
 */
@Injectable()
export class WebhookMetrics {
  private readonly breakerGauge: Gauge<'subscription_id'> | undefined;
  private lastAge = 0;

  constructor(@Optional() private readonly metrics?: MetricsService) {
    if (!metrics) return;
    metrics.setOutboxAgeProvider(() => this.lastAge);
    this.breakerGauge = new Gauge({
      name: METRIC_NAMES.webhookCircuitBreakerState,
      help: 'Circuit breaker state per webhook subscription endpoint: 0 closed, 1 open, 2 half-open',
      labelNames: ['subscription_id'],
      registers: [metrics.registry],
    });
  }

  delivery(result: WebhookDeliveryResult): void {
    this.metrics?.webhookDelivery(result);
  }

  outboxAge(seconds: number): void {
    this.lastAge = seconds;
  }

  breakerState(subscriptionId: string, state: BreakerState): void {
    this.breakerGauge?.labels(subscriptionId).set(BREAKER_STATE_VALUES[state]);
  }
}
