import {
  buildQueries,
  evaluateRound,
  GatePolicy,
  initialGateState,
  nextGate,
  Reading,
  stepStarted,
  Thresholds,
} from './analysis';
import type { ColourQueries, ColourReadings } from './analysis';
import { AbortedByHandError, InconsistentStateError } from './platforms/platform';
import type { Platform, RolloutState } from './platforms';
import type { MetricsProvider } from './providers';
import type { Reporter, RoundReadings } from './reporter';

// The rollout loop: set a weight, wait an interval, read the metrics, let the pure gate decide.
// All judgement lives in analysis/; this file only does the I/O around it.

export interface RunOptions {
  steps: number[];
  intervalMs: number;
  /** Prometheus range of every query, e.g. `1m`. */
  window: string;
  thresholds: Thresholds;
  policy: GatePolicy;
  extraMatchers?: string;
}

export interface RunDeps {
  platform: Platform;
  provider: MetricsProvider;
  reporter: Reporter;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborting it (SIGINT/SIGTERM) rolls the canary back. */
  signal?: AbortSignal;
}

export type RunOutcome = 'promoted' | 'rolled-back';

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

async function read(provider: MetricsProvider, q: ColourQueries): Promise<ColourReadings> {
  const one = (promql: string): Promise<Reading> =>
    provider.query(promql).then(
      (value): Reading => ({ ok: true, value }),
      (err: Error): Reading => ({ ok: false, error: err.message }),
    );
  const [requests, errorRate, p95] = await Promise.all([one(q.requests), one(q.errorRate), one(q.p95)]);
  return { requests, errorRate, p95 };
}

export async function runRollout(deps: RunDeps, o: RunOptions): Promise<RunOutcome> {
  const { platform, provider, reporter } = deps;
  const sleep = deps.sleep ?? defaultSleep;
  const signal = deps.signal ?? new AbortController().signal;
  const initial = await platform.readState();
  const { activeColor, previewColor } = initial;
  if (initial.versions[previewColor] === null)
    throw new InconsistentStateError(
      `the preview colour ${previewColor} has no version: run \`start --tag T\` first`,
    );
  if (initial.replicas?.[previewColor] === 0)
    throw new InconsistentStateError(
      `the preview colour ${previewColor} has 0 replicas: traffic sent to it would find no pod; scale it first`,
    );

  const compare =
    o.thresholds.errorRateMarginOverStable !== undefined || o.thresholds.p95MarginOverStable !== undefined;
  const canaryQueries = buildQueries({
    color: previewColor,
    version: initial.versions[previewColor],
    window: o.window,
    extraMatchers: o.extraMatchers,
  });
  const stableQueries = buildQueries({
    color: activeColor,
    version: initial.versions[activeColor],
    window: o.window,
    extraMatchers: o.extraMatchers,
  });

  const rollback = async (reason: string): Promise<RunOutcome> => {
    await platform.abort();
    reporter.emit({ event: 'rolled-back', activeColor, reason });
    return 'rolled-back';
  };

  const abortedByHand = (): RunOutcome => {
    reporter.emit({ event: 'rolled-back', activeColor, reason: 'aborted by hand during the run' });
    return 'rolled-back';
  };
  /** Re-reads the state: 'aborted' when someone ran `abort` meanwhile (their decision stands). */
  const stillOurs = async (weight: number): Promise<'ok' | 'aborted'> => {
    const now: RolloutState = await platform.readState();
    if (now.activeColor === activeColor && now.weight === weight) return 'ok';
    if (now.activeColor === activeColor && now.weight === 0) return 'aborted';
    throw new Error(
      `the state changed under the rollout (active ${now.activeColor}, weight ${now.weight}; expected ${activeColor} at ${weight})`,
    );
  };

  let gate = initialGateState;
  try {
    for (let i = 0; i < o.steps.length; i++) {
      const weight = o.steps[i];
      const step = i + 1;
      // A signal may have come while Prometheus was being read: it wins over an "advance".
      if (signal.aborted) return await rollback('interrupted by a signal');
      // So may an `abort` from another terminal: re-read before raising the weight.
      if (i > 0 && (await stillOurs(o.steps[i - 1])) === 'aborted') return abortedByHand();
      await platform.setWeight(weight);
      reporter.emit({ event: 'weight', step, steps: o.steps.length, weight });
      gate = stepStarted(gate);
      for (let round = 1; ; round++) {
        await sleep(o.intervalMs, signal);
        if (signal.aborted) return await rollback('interrupted by a signal');
        // Someone ran `abort` by hand: their decision stands.
        if ((await stillOurs(weight)) === 'aborted') return abortedByHand();
        // The stable colour is always read (the decision event and the report show it beside the
        // canary); it takes part in the checks only when a margin over stable was asked for.
        const [canary, stable] = await Promise.all([
          read(provider, canaryQueries),
          read(provider, stableQueries),
        ]);
        const result = evaluateRound(
          compare ? { canary, canaryQueries, stable, stableQueries } : { canary, canaryQueries },
          o.thresholds,
        );
        for (const c of result.checks) reporter.emit({ event: 'check', step, weight, round, ...c });
        const outcome = nextGate(gate, result, o.policy);
        gate = outcome.state;
        reporter.emit({
          event: 'decision',
          step,
          weight,
          round,
          decision: outcome.decision,
          status: result.status,
          failedChecks: gate.failedChecks,
          failureLimit: o.policy.failureLimit,
          reason: outcome.reason,
          readings: roundReadings(canary, stable),
        });
        if (outcome.decision === 'rollback') return await rollback(outcome.reason);
        if (outcome.decision === 'advance') break;
      }
    }
    if (signal.aborted) return await rollback('interrupted by a signal');
    if ((await stillOurs(o.steps[o.steps.length - 1])) === 'aborted') return abortedByHand();
    await platform.promote();
    reporter.emit({ event: 'promoted', activeColor: previewColor, version: initial.versions[previewColor] });
    return 'promoted';
  } catch (err) {
    // The platform gave way to an `abort` that came during one of our changes.
    if (err instanceof AbortedByHandError) return abortedByHand();
    // Whatever broke, the safe place to leave traffic is the stable colour.
    reporter.emit({ event: 'error', message: `${(err as Error).message}; rolling back to be safe` });
    await platform
      .abort()
      .catch((abortErr: Error) =>
        reporter.emit({ event: 'error', message: `rollback failed too: ${abortErr.message}` }),
      );
    throw err;
  }
}

const readingValue = (r: Reading): number | null => (r.ok && Number.isFinite(r.value) ? r.value : null);
const colourValues = (c: ColourReadings): NonNullable<RoundReadings['stable']> => ({
  requests: readingValue(c.requests),
  errorRate: readingValue(c.errorRate),
  p95: readingValue(c.p95),
});

/** A round's readings as plain values, for the decision event (and the report drawn from it). */
function roundReadings(canary: ColourReadings, stable: ColourReadings): RoundReadings {
  const missing: string[] = [];
  for (const [colour, readings] of [
    ['canary', canary],
    ['stable', stable],
  ] as const) {
    for (const [name, r] of Object.entries(readings) as Array<[string, Reading]>) {
      if (!r.ok) missing.push(`${colour} ${name}: ${r.error}`);
      else if (!Number.isFinite(r.value)) missing.push(`${colour} ${name}: no data`);
    }
  }
  return {
    canary: colourValues(canary),
    stable: colourValues(stable),
    ...(missing.length ? { missing } : {}),
  };
}
