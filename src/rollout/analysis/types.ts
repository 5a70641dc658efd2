// The vocabulary of canary analysis. Everything in analysis/ is pure: no clock, no network, no
// process; the runner feeds it readings and acts on its decisions.

export type CheckStatus = 'pass' | 'fail' | 'inconclusive';

/** One value read from the metrics provider, or the reason it could not be read. */
export type Reading = { ok: true; value: number } | { ok: false; error: string };

/** What the runner asks the provider for in one analysis round, per colour. */
export interface ColourReadings {
  requests: Reading;
  errorRate: Reading;
  p95: Reading;
}

/** The PromQL behind each reading, printed with every decision. */
export interface ColourQueries {
  requests: string;
  errorRate: string;
  p95: string;
}

/** What the platform says about the preview colour this round, or why it could not say. */
export type PreviewHealthReading = { healthy: boolean; reason: string } | { error: string };

export interface RoundInput {
  canary: ColourReadings;
  canaryQueries: ColourQueries;
  /** The stable colour's readings: its requests feed the canary-traffic check; all feed the comparisons. */
  stable?: ColourReadings;
  stableQueries?: ColourQueries;
  /** Margins over stable are checked only when this is true (and the margin is set). */
  compareWithStable?: boolean;
  /** The weight of this step and the part of the window spent at it: the canary-traffic check. */
  traffic?: { weight: number; windowCoverage: number };
  /** The platform's health of the preview colour this round: the preview-health check. */
  previewHealth?: PreviewHealthReading;
}

export interface Thresholds {
  /** Highest acceptable share of 5xx among the canary's requests (0–1). */
  maxErrorRate: number;
  /** Highest acceptable 95th percentile latency of the canary, in seconds. */
  maxP95Seconds: number;
  /** Fewer canary requests than this in the window make every check inconclusive. */
  minRequests: number;
  /** When set: canary error rate may exceed the stable one by at most this much (absolute). */
  errorRateMarginOverStable?: number;
  /** When set: canary p95 may exceed the stable one by at most this share (0.2 = 20 %). */
  p95MarginOverStable?: number;
  /**
   * Seconds added to the p95-vs-stable limit: stable p95 × (1 + margin) + this. A share alone is
   * noise at millisecond latencies (2 ms vs 4 ms is "100 % slower"); this keeps the comparison about
   * slowdowns a user would notice. Default 0.
   */
  p95SlackSeconds?: number;
}

export interface CheckResult {
  check:
    | 'preview-health'
    | 'canary-traffic'
    | 'requests'
    | 'error-rate'
    | 'p95'
    | 'error-rate-vs-stable'
    | 'p95-vs-stable';
  status: CheckStatus;
  query: string;
  /** The value seen; null when nothing could be read. */
  value: number | null;
  /** The limit the value was held against, in the same unit. */
  threshold: number;
  comparator: '>=' | '<=';
  reason: string;
  /** True when the provider failed to answer this check's query. */
  providerError?: boolean;
}

export interface RoundResult {
  status: CheckStatus;
  checks: CheckResult[];
  /** True when at least one query could not be answered by the provider. */
  providerError: boolean;
}

export interface GatePolicy {
  /** Failed rounds (over the whole run) that trigger a rollback. */
  failureLimit: number;
  /** Rounds in a row with provider errors before such a round counts as failed. */
  providerErrorLimit: number;
  /** Inconclusive rounds in a row at one step before that counts as one failed round. */
  maxInconclusive: number;
}

export interface GateState {
  failedChecks: number;
  providerErrorStreak: number;
  inconclusiveStreak: number;
}

export type GateDecision = 'advance' | 'wait' | 'rollback';

export interface GateOutcome {
  state: GateState;
  decision: GateDecision;
  /** Whether this round counted towards the failure limit. */
  counted: boolean;
  reason: string;
}
