/**
 * Every Prometheus series Bulwark exports (docs/operations.md, "Metrics"), in one place. Dashboards, the SLO
 * rules of the Helm chart and the rollout tool's PromQL (src/rollout/analysis/queries.ts) depend on
 * these names: renaming one is a breaking change for operators.
 *
 * Every series also carries the default labels `app_version` and `color` (see MetricsService).
 */
export const METRIC_NAMES = {
  // RED, by route template (podinfo's names)
  httpRequestsTotal: 'http_requests_total',
  httpRequestDurationSeconds: 'http_request_duration_seconds',
  // Business
  ordersCreatedTotal: 'orders_created_total',
  ordersCancelledTotal: 'orders_cancelled_total',
  orderStockConflictsTotal: 'order_stock_conflicts_total',
  idempotencyReplaysTotal: 'idempotency_replays_total',
  authLoginsTotal: 'auth_logins_total',
  webhookDeliveriesTotal: 'webhook_deliveries_total',
  outboxOldestPendingAgeSeconds: 'outbox_oldest_pending_age_seconds',
  /** Per webhook subscription (label `subscription_id`, bounded by the admin-made subscriptions): 0 closed, 1 open, 2 half-open. */
  webhookCircuitBreakerState: 'webhook_circuit_breaker_state',
  /** 1 when this instance runs the webhook dispatcher and the scheduled purges (its colour is active), else 0. */
  backgroundWorkActive: 'background_work_active',
  // Database pool (node-postgres Pool behind TypeORM)
  dbPoolConnections: 'db_pool_connections',
  dbPoolWaitingRequests: 'db_pool_waiting_requests',
  dbPoolMaxConnections: 'db_pool_max_connections',
} as const;

/** Labels set on every series of an instance. */
export const DEFAULT_LABELS = { appVersion: 'app_version', color: 'color' } as const;

/** Label names of the RED series, by role (the rollout tool's queries select on `route` and `status_code`). */
export const HTTP_LABEL = { method: 'method', route: 'route', statusCode: 'status_code' } as const;

/** Label names of the RED series, in the order prom-client declares them. */
export const HTTP_LABELS = [HTTP_LABEL.method, HTTP_LABEL.route, HTTP_LABEL.statusCode] as const;

/** Server-error statuses whose series every API route has from the start, at 0. */
export const SERVER_ERROR_STATUSES = ['500', '503'] as const;

/** Values of `auth_logins_total{result}`. */
export const LOGIN_RESULTS = ['success', 'failure'] as const;
export type LoginResult = (typeof LOGIN_RESULTS)[number];

/** Values of `webhook_deliveries_total{result}`: an attempt that succeeded, failed (will retry), or gave up. */
export const WEBHOOK_DELIVERY_RESULTS = ['delivered', 'failed', 'dead'] as const;
export type WebhookDeliveryResult = (typeof WEBHOOK_DELIVERY_RESULTS)[number];

/** Values of `db_pool_connections{state}`. */
export const POOL_STATES = ['total', 'idle', 'in_use'] as const;

/**
 * Buckets (seconds) for a 200 ms p95 objective: fine around the objective (0.1, 0.2, 0.25) so
 * `histogram_quantile` is accurate where the rollout gate decides, coarse beyond.
 */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1, 2.5];
