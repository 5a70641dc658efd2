/**
 * Every Prometheus series Bulwark exports (docs/operations.md#metrics), in one place. Dashboards, the SLO
 * rules of the Helm chart and the rollout tool's PromQL (src/rollout/analysis/queries.ts) depend on
 * these names: renaming one is a breaking change for operators.
 *
 * Every series also carries the default labels `app_version` and `color` (see MetricsService).
 */
export const METRIC_NAMES = {
  // RED, by route template. They keep the conventional names (podinfo's, those of most HTTP
  // instrumentations and of canary tools' stock queries): the per-colour Service labels tell
  // Bulwark's apart. Everything Bulwark-specific carries the application prefix `bulwark_`.
  httpRequestsTotal: 'http_requests_total',
  httpRequestDurationSeconds: 'http_request_duration_seconds',
  /** Always 1; labels `version` (APP_VERSION), `node_version`, plus the default `app_version` and `color`. */
  buildInfo: 'bulwark_build_info',
  // Business
  ordersCreatedTotal: 'bulwark_orders_created_total',
  ordersCancelledTotal: 'bulwark_orders_cancelled_total',
  orderStockConflictsTotal: 'bulwark_order_stock_conflicts_total',
  idempotencyReplaysTotal: 'bulwark_idempotency_replays_total',
  authLoginsTotal: 'bulwark_auth_logins_total',
  webhookDeliveriesTotal: 'bulwark_webhook_deliveries_total',
  outboxOldestPendingAgeSeconds: 'bulwark_outbox_oldest_pending_age_seconds',
  /** Per webhook subscription (label `subscription_id`, bounded by the admin-made subscriptions): 0 closed, 1 open, 2 half-open. */
  webhookCircuitBreakerState: 'bulwark_webhook_circuit_breaker_state',
  /** 1 when this instance runs the webhook dispatcher and the scheduled purges (its colour is active), else 0. */
  backgroundWorkActive: 'bulwark_background_work_active',
  // Database pool (node-postgres Pool behind TypeORM)
  dbPoolConnections: 'bulwark_db_pool_connections',
  dbPoolWaitingRequests: 'bulwark_db_pool_waiting_requests',
  dbPoolMaxConnections: 'bulwark_db_pool_max_connections',
  /** Changes of this instance's readiness answer, label `to` = `ready` | `not_ready` (first answer not counted). */
  readinessTransitionsTotal: 'bulwark_readiness_transitions_total',
} as const;

/** Labels set on every series of an instance. */
export const DEFAULT_LABELS = { appVersion: 'app_version', color: 'color' } as const;

/** Label names of the RED series, by role (the rollout tool's queries select on `route` and `status_code`). */
export const HTTP_LABEL = { method: 'method', route: 'route', statusCode: 'status_code' } as const;

/** Label names of the RED series, in the order prom-client declares them. */
export const HTTP_LABELS = [HTTP_LABEL.method, HTTP_LABEL.route, HTTP_LABEL.statusCode] as const;

/** Server-error statuses whose series every API route has from the start, at 0. */
export const SERVER_ERROR_STATUSES = ['500', '503'] as const;

/** Values of `bulwark_auth_logins_total{result}`. */
export const LOGIN_RESULTS = ['success', 'failure'] as const;
export type LoginResult = (typeof LOGIN_RESULTS)[number];

/** Values of `bulwark_webhook_deliveries_total{result}`: an attempt that succeeded, failed (will retry), or gave up. */
export const WEBHOOK_DELIVERY_RESULTS = ['delivered', 'failed', 'dead'] as const;
export type WebhookDeliveryResult = (typeof WEBHOOK_DELIVERY_RESULTS)[number];

/** Values of `bulwark_db_pool_connections{state}`. */
export const POOL_STATES = ['total', 'idle', 'in_use'] as const;

/** Values of `bulwark_readiness_transitions_total{to}`. */
export const READINESS_STATES = ['ready', 'not_ready'] as const;
export type ReadinessState = (typeof READINESS_STATES)[number];

/**
 * Buckets (seconds) for a 200 ms p95 objective: fine around the objective (0.1, 0.2, 0.25) so
 * `histogram_quantile` is accurate where the rollout gate decides, coarse beyond.
 */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1, 2.5];
