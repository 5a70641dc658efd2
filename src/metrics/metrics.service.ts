import { Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import {
  DEFAULT_LABELS,
  HTTP_DURATION_BUCKETS,
  SERVER_ERROR_STATUSES,
  HTTP_LABELS,
  LOGIN_RESULTS,
  LoginResult,
  METRIC_NAMES,
  POOL_STATES,
  READINESS_STATES,
  ReadinessState,
  WEBHOOK_DELIVERY_RESULTS,
  WebhookDeliveryResult,
} from './metric-names';

/** The subset of node-postgres' Pool the gauges read. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

type RedChild = { count: { inc(): void }; duration: { observe(seconds: number): void } };

/** Returns the age in seconds of the oldest pending outbox event, or undefined when unknown. */
export type OutboxAgeProvider = () => number | undefined;

/**
 * All of the service's Prometheus series (names in ./metric-names.ts), on a registry of its own per
 * application instance (tests build several apps in one process; the global registry would mix
 * them). Every series is labelled `app_version` and `color` through the registry's default labels.
 *
 * Use the typed handles: `metrics.ordersCreated.inc()`, `metrics.loginAttempt('failure')`,
 * `metrics.webhookDelivery('delivered')`, `metrics.setOutboxAgeProvider(() => lastSeenAgeSeconds)`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests: Counter<(typeof HTTP_LABELS)[number]>;
  readonly httpDuration: Histogram<(typeof HTTP_LABELS)[number]>;
  readonly ordersCreated: Counter;
  readonly ordersCancelled: Counter;
  readonly orderStockConflicts: Counter;
  readonly idempotencyReplays: Counter;
  readonly authLogins: Counter<'result'>;
  readonly webhookDeliveries: Counter<'result'>;
  /** Set it directly, or register a provider read at every scrape (setOutboxAgeProvider). */
  readonly outboxOldestPendingAge: Gauge;
  readonly readinessTransitions: Counter<'to'>;

  /** Label children of the RED series, by "method route status": the hot path allocates no label objects. */
  private readonly redChildren = new Map<string, RedChild>();
  private outboxAgeProvider: OutboxAgeProvider | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() dataSource?: DataSource) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({
      [DEFAULT_LABELS.appVersion]: config.appVersion,
      [DEFAULT_LABELS.color]: config.releaseColor,
    });
    collectDefaultMetrics({ register: this.registry });

    // Which build answers, as a series of its own: dashboards join on it and alerts can name the version.
    new Gauge({
      name: METRIC_NAMES.buildInfo,
      help: 'Always 1: the version (APP_VERSION) and Node.js version of this instance; colour and app_version as on every series',
      labelNames: ['version', 'node_version'],
      registers,
    })
      .labels(config.appVersion, process.version)
      .set(1);

    this.httpRequests = new Counter({
      name: METRIC_NAMES.httpRequestsTotal,
      help: 'HTTP requests answered, by method, route template and status code',
      labelNames: HTTP_LABELS,
      registers,
    });
    this.httpDuration = new Histogram({
      name: METRIC_NAMES.httpRequestDurationSeconds,
      help: 'Time from receiving a request to finishing its answer, by method, route template and status code',
      labelNames: HTTP_LABELS,
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    });
    this.ordersCreated = new Counter({
      name: METRIC_NAMES.ordersCreatedTotal,
      help: 'Orders created',
      registers,
    });
    this.ordersCancelled = new Counter({
      name: METRIC_NAMES.ordersCancelledTotal,
      help: 'Orders cancelled',
      registers,
    });
    this.orderStockConflicts = new Counter({
      name: METRIC_NAMES.orderStockConflictsTotal,
      help: 'Order attempts refused for insufficient stock',
      registers,
    });
    this.idempotencyReplays = new Counter({
      name: METRIC_NAMES.idempotencyReplaysTotal,
      help: 'Requests answered from a stored idempotent response',
      registers,
    });
    this.authLogins = new Counter({
      name: METRIC_NAMES.authLoginsTotal,
      help: 'Login attempts by result',
      labelNames: ['result'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: METRIC_NAMES.webhookDeliveriesTotal,
      help: 'Webhook delivery attempts by result',
      labelNames: ['result'],
      registers,
    });
    // Known label values start at 0, so rate() and ratios work before the first event.
    for (const result of LOGIN_RESULTS) this.authLogins.labels(result).inc(0);
    for (const result of WEBHOOK_DELIVERY_RESULTS) this.webhookDeliveries.labels(result).inc(0);

    this.readinessTransitions = new Counter({
      name: METRIC_NAMES.readinessTransitionsTotal,
      help: 'Changes of the readiness answer of this instance, by the state it changed to',
      labelNames: ['to'],
      registers,
    });
    for (const state of READINESS_STATES) this.readinessTransitions.labels(state).inc(0);

    const outboxAge = (): number | undefined => this.outboxAgeProvider?.();
    this.outboxOldestPendingAge = new Gauge({
      name: METRIC_NAMES.outboxOldestPendingAgeSeconds,
      help: 'Age in seconds of the oldest outbox event not yet delivered (0 when none is pending)',
      registers,
      collect() {
        const age = outboxAge();
        if (age !== undefined) this.set(age);
      },
    });
    this.outboxOldestPendingAge.set(0);

    const pool = (): PoolCounts | undefined => {
      if (!dataSource?.isInitialized) return undefined;
      return (dataSource.driver as unknown as { master?: PoolCounts }).master;
    };
    new Gauge({
      name: METRIC_NAMES.dbPoolConnections,
      help: 'Database pool connections by state',
      labelNames: ['state'],
      registers,
      collect() {
        const p = pool();
        if (!p) return;
        const values: Record<(typeof POOL_STATES)[number], number> = {
          total: p.totalCount,
          idle: p.idleCount,
          in_use: p.totalCount - p.idleCount,
        };
        for (const state of POOL_STATES) this.labels(state).set(values[state]);
      },
    });
    new Gauge({
      name: METRIC_NAMES.dbPoolWaitingRequests,
      help: 'Requests waiting for a database connection',
      registers,
      collect() {
        const p = pool();
        if (p) this.set(p.waitingCount);
      },
    });
    new Gauge({
      name: METRIC_NAMES.dbPoolMaxConnections,
      help: 'Configured size of the database pool (DB_POOL_MAX)',
      registers,
    }).set(config.dbPoolMax);
  }

  /** Counts one answered request (called from the Fastify onResponse hook, src/metrics/http-metrics.ts). */
  /**
   * Creates a route's server-error series at 0 before any error happens. A series that appears with
   * its first increment has no earlier sample, so `increase()` over a window misses that increment
   * (or returns nothing) and a canary's first failures would go unseen by the rollout analysis
   * (https://prometheus.io/docs/practices/instrumentation/#avoid-missing-metrics).
   */
  initializeServerErrors(method: string, route: string): void {
    for (const status of SERVER_ERROR_STATUSES) this.httpRequests.labels(method, route, status).inc(0);
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${route} ${statusCode}`;
    let child = this.redChildren.get(key);
    if (!child) {
      const status = String(statusCode);
      child = {
        count: this.httpRequests.labels(method, route, status),
        duration: this.httpDuration.labels(method, route, status),
      };
      this.redChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(seconds);
  }

  loginAttempt(result: LoginResult): void {
    this.authLogins.labels(result).inc();
  }

  /** Counts a change of the readiness answer (ReadinessIndicators.noteOutcome), not every probe. */
  readinessChanged(to: ReadinessState): void {
    this.readinessTransitions.labels(to).inc();
  }

  webhookDelivery(result: WebhookDeliveryResult): void {
    this.webhookDeliveries.labels(result).inc();
  }

  /** The provider is called at every scrape: it must answer from memory, never wait on the database. */
  setOutboxAgeProvider(provider: OutboxAgeProvider): void {
    this.outboxAgeProvider = provider;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
