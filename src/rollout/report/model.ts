import type { CheckResult } from '../analysis';
import type { RolloutEvent, RoundReadings } from '../reporter';

// What `run --report` draws, built from the tool's own events (the ones it prints): pure, no clock.

/** An event of the run and when the tool emitted it (milliseconds since the epoch). */
export interface TimedEvent {
  time: number;
  event: RolloutEvent;
}

export interface ColourValues {
  requests: number | null;
  errorRate: number | null;
  p95: number | null;
}

export interface ReportRound {
  /** Seconds since the run started. */
  at: number;
  step: number;
  weight: number;
  round: number;
  status: string;
  decision: string;
  reason: string;
  failedChecks: number;
  failureLimit: number;
  canary: ColourValues;
  stable?: ColourValues;
  /** The limits the canary was held against this round (from its checks, else the run's thresholds). */
  maxErrorRate: number | null;
  maxP95: number | null;
  /** When compared with stable: the canary's limits derived from the stable colour this round. */
  errorRateVsStable: number | null;
  p95VsStable: number | null;
  checks: CheckResult[];
  /** Readings the round could not take, and why (the provider's error, or "no data"). */
  missing: string[];
}

export type VerdictKind = 'promoted' | 'rolled-back' | 'aborted' | 'error' | 'unfinished';

export interface ReportModel {
  platform: string | null;
  activeColor: string | null;
  previewColor: string | null;
  versions: Record<string, string | null>;
  steps: number[];
  interval: string | null;
  window: string | null;
  thresholds: Record<string, number | undefined>;
  startedAt: number | null;
  /** Seconds from the start to the last event. */
  duration: number;
  /** The canary weight over time: each change, in seconds since the start. */
  weights: Array<{ at: number; weight: number }>;
  rounds: ReportRound[];
  verdict: { kind: VerdictKind; text: string };
  errors: string[];
}

const valueOf = (checks: CheckResult[], name: CheckResult['check']): CheckResult | undefined =>
  checks.find((c) => c.check === name);

function canaryFromChecks(checks: CheckResult[]): ColourValues {
  return {
    requests: valueOf(checks, 'requests')?.value ?? null,
    errorRate: valueOf(checks, 'error-rate')?.value ?? null,
    p95: valueOf(checks, 'p95')?.value ?? null,
  };
}

const finite = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

function clean(values: RoundReadings['canary']): ColourValues {
  return { requests: finite(values.requests), errorRate: finite(values.errorRate), p95: finite(values.p95) };
}

/** The report's content from the events of one `run`, in the order they were emitted. */
export function buildReportModel(events: readonly TimedEvent[]): ReportModel {
  const model: ReportModel = {
    platform: null,
    activeColor: null,
    previewColor: null,
    versions: {},
    steps: [],
    interval: null,
    window: null,
    thresholds: {},
    startedAt: events[0]?.time ?? null,
    duration: 0,
    weights: [],
    rounds: [],
    verdict: { kind: 'unfinished', text: 'the run ended without a verdict' },
    errors: [],
  };
  const t0 = events[0]?.time ?? 0;
  const at = (time: number): number => Math.max(0, (time - t0) / 1000);
  let checks: CheckResult[] = [];
  for (const { time, event: e } of events) {
    model.duration = Math.max(model.duration, at(time));
    switch (e.event) {
      case 'run':
        model.platform = e.platform;
        model.activeColor = e.activeColor;
        model.previewColor = e.previewColor;
        model.versions = e.versions;
        model.steps = e.steps;
        model.interval = e.interval;
        model.window = e.window;
        model.thresholds = e.thresholds;
        model.weights.push({ at: at(time), weight: 0 });
        break;
      case 'weight':
        model.weights.push({ at: at(time), weight: e.weight });
        break;
      case 'check':
        checks.push(e);
        break;
      case 'decision': {
        const canary = e.readings ? clean(e.readings.canary) : canaryFromChecks(checks);
        model.rounds.push({
          at: at(time),
          step: e.step,
          weight: e.weight,
          round: e.round,
          status: e.status,
          decision: e.decision,
          reason: e.reason,
          failedChecks: e.failedChecks,
          failureLimit: e.failureLimit,
          canary,
          stable: e.readings?.stable ? clean(e.readings.stable) : undefined,
          maxErrorRate: finite(
            valueOf(checks, 'error-rate')?.threshold ?? model.thresholds['max-error-rate'],
          ),
          maxP95: finite(valueOf(checks, 'p95')?.threshold ?? model.thresholds['max-p95']),
          errorRateVsStable: finite(valueOf(checks, 'error-rate-vs-stable')?.threshold),
          p95VsStable: finite(valueOf(checks, 'p95-vs-stable')?.threshold),
          checks,
          missing: e.readings?.missing ?? [],
        });
        checks = [];
        break;
      }
      case 'promoted':
        model.weights.push({ at: at(time), weight: 100 });
        model.verdict = {
          kind: 'promoted',
          text: `${e.activeColor} (${e.version ?? 'no version'}) promoted: it is the active colour`,
        };
        break;
      case 'rolled-back':
        model.weights.push({ at: at(time), weight: 0 });
        model.verdict = { kind: 'rolled-back', text: `${e.activeColor} keeps all traffic: ${e.reason}` };
        break;
      case 'aborted':
        model.weights.push({ at: at(time), weight: 0 });
        model.verdict = { kind: 'aborted', text: `aborted: ${e.activeColor} keeps all traffic` };
        break;
      case 'error':
        model.errors.push(e.message);
        if (model.verdict.kind === 'unfinished') model.verdict = { kind: 'error', text: e.message };
        break;
      default:
        break;
    }
  }
  return model;
}
