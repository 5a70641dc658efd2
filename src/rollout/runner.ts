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
import type { ColourQueries, ColourReadings, PreviewHealthReading } from './analysis';
import { AbortedByHandError, InconsistentStateError, LockedError, SizingError } from './platforms/platform';
import type { Colour, Lock, Platform, RolloutState } from './platforms';
import type { MetricsProvider } from './providers';
import type { Reporter, RoundReadings } from './reporter';

// The rollout loop: set a weight, wait an interval, read the metrics and the preview's health, let
// the pure gate decide. All judgement lives in analysis/; this file only does the I/O around it.
// Around the loop: the lock is renewed every round; the preview is sized to the active colour before
// any step above 50 % and before promotion (or the run refuses to go past 50 % and rolls back); the
// colour that lost (the rejected canary, or the old colour after a promotion) is scheduled to be
// scaled to 0 after a delay.

/** Weights above this need a preview sized like the active colour. */
export const SIZED_ABOVE = 50;

export interface RunOptions {
  steps: number[];
  intervalMs: number;
  /** Prometheus range of every query, e.g. `1m`. */
  window: string;
  thresholds: Thresholds;
  policy: GatePolicy;
  extraMatchers?: string;
  /** After a rollback: the rejected colour is scaled to 0 after this many seconds (default 30). */
  abortScaleDownDelaySeconds?: number;
  /** After a promotion: the old colour is scaled to 0 after this many seconds (default 600). */
  scaleDownDelaySeconds?: number;
}

export const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30;
export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 600;

export interface RunDeps {
  platform: Platform;
  provider: MetricsProvider;
  reporter: Reporter;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborting it (SIGINT/SIGTERM) rolls the canary back. */
  signal?: AbortSignal;
  /** The run's lock: renewed every round. */
  lock?: Lock;
  /** The clock (ms), for the part of the window spent at the current weight. */
  now?: () => number;
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

/** A Prometheus range (`10s`, `1m`, `2h`) in milliseconds. */
export function rangeMs(range: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(range);
  if (!m) throw new Error(`not a Prometheus range: "${range}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]]!;
}

/** The colour's readings; `requestsOnly`: the others are not asked for (and read as no data). */
async function read(provider: MetricsProvider, q: ColourQueries): Promise<ColourReadings> {
  const one = (promql: string): Promise<Reading> =>
    provider.query(promql).then(
      (value): Reading => ({ ok: true, value }),
      (err: Error): Reading => ({ ok: false, error: err.message }),
    );
  const [requests, errorRate, p95] = await Promise.all([one(q.requests), one(q.errorRate), one(q.p95)]);
  return { requests, errorRate, p95 };
}

async function previewHealth(platform: Platform): Promise<PreviewHealthReading> {
  try {
    const h = await platform.previewHealth();
    return { healthy: h.healthy, reason: h.reason };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/**
 * The losing colour (the rejected canary, or the old colour after a promotion) goes to 0 after its
 * delay; a failure to arrange that is reported and does not undo the outcome.
 */
export async function scheduleScaleDown(
  platform: Platform,
  reporter: Reporter,
  colour: Colour,
  delaySeconds: number,
): Promise<void> {
  try {
    const message = await platform.scheduleScaleDown(colour, delaySeconds);
    reporter.emit({ event: 'scale-down', colour, delaySeconds, message });
  } catch (err) {
    reporter.emit({
      event: 'error',
      message: `could not schedule the scale-down of ${colour}: ${(err as Error).message}; scale it to 0 by hand`,
    });
  }
}

export async function runRollout(deps: RunDeps, o: RunOptions): Promise<RunOutcome> {
  const { platform, provider, reporter } = deps;
  const sleep = deps.sleep ?? defaultSleep;
  const signal = deps.signal ?? new AbortController().signal;
  const now = deps.now ?? Date.now;
  const windowMs = rangeMs(o.window);
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

  const scaleDown = (colour: Colour, delaySeconds: number): Promise<void> =>
    scheduleScaleDown(platform, reporter, colour, delaySeconds);
  const abortDelay = o.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS;

  const rollback = async (reason: string): Promise<RunOutcome> => {
    await platform.abort();
    reporter.emit({ event: 'rolled-back', activeColor, reason });
    await scaleDown(previewColor, abortDelay);
    return 'rolled-back';
  };

  const abortedByHand = async (): Promise<RunOutcome> => {
    reporter.emit({ event: 'rolled-back', activeColor, reason: 'aborted by hand during the run' });
    await scaleDown(previewColor, abortDelay);
    return 'rolled-back';
  };

  /**
   * Sizes the preview like the active colour; null when done, else the reason the run refuses to go
   * past 50 % (it then rolls back: a canary left at 50 % with nobody watching it is worse).
   */
  const size = async (step: number, weight: number, refusal: string): Promise<string | null> => {
    try {
      const message = await platform.sizePreview();
      reporter.emit({ event: 'sized', step, weight, message });
      return null;
    } catch (err) {
      if (!(err instanceof SizingError)) throw err;
      return `${refusal}: ${err.message}`;
    }
  };

  /** Every round: a lock taken over stops the run (its new holder drives traffic now). */
  const renewLock = async (): Promise<void> => {
    if (!deps.lock) return;
    try {
      await deps.lock.renew();
    } catch (err) {
      if (err instanceof LockedError) throw err;
      reporter.emit({
        event: 'error',
        message: `could not renew the rollout lock: ${(err as Error).message}; trying again next round`,
      });
    }
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
      if (i > 0 && (await stillOurs(o.steps[i - 1])) === 'aborted') return await abortedByHand();
      if (weight > SIZED_ABOVE) {
        const refused = await size(step, weight, `refusing to go past ${SIZED_ABOVE} %`);
        if (refused) return await rollback(refused);
        if (signal.aborted) return await rollback('interrupted by a signal');
      }
      await platform.setWeight(weight);
      const weightSetAt = now();
      reporter.emit({ event: 'weight', step, steps: o.steps.length, weight });
      gate = stepStarted(gate);
      for (let round = 1; ; round++) {
        await sleep(o.intervalMs, signal);
        if (signal.aborted) return await rollback('interrupted by a signal');
        await renewLock();
        // Someone ran `abort` by hand: their decision stands.
        if ((await stillOurs(weight)) === 'aborted') return await abortedByHand();
        const [canary, stable, health] = await Promise.all([
          read(provider, canaryQueries),
          // The stable colour is always read: its requests judge a silent canary beside a busy
          // stable, and the decision event and the report show it beside the canary; its error rate
          // and p95 take part in the checks only when a margin over stable is asked for.
          read(provider, stableQueries),
          previewHealth(platform),
        ]);
        const result = evaluateRound(
          {
            canary,
            canaryQueries,
            stable,
            stableQueries,
            compareWithStable: compare,
            traffic: { weight, windowCoverage: (now() - weightSetAt) / windowMs },
            previewHealth: health,
          },
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
    const last = o.steps[o.steps.length - 1];
    if ((await stillOurs(last)) === 'aborted') return await abortedByHand();
    // Sized again right before promotion: the active colour may have grown since (HPA).
    const refused = await size(o.steps.length, last, 'refusing to promote');
    if (refused) return await rollback(refused);
    if (signal.aborted) return await rollback('interrupted by a signal');
    if ((await stillOurs(last)) === 'aborted') return await abortedByHand();
    await platform.promote();
    reporter.emit({ event: 'promoted', activeColor: previewColor, version: initial.versions[previewColor] });
    // Until the old colour is scaled down, `promote` again is an instant undo.
    await scaleDown(activeColor, o.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS);
    return 'promoted';
  } catch (err) {
    // The platform gave way to an `abort` that came during one of our changes.
    if (err instanceof AbortedByHandError) return await abortedByHand();
    // The lock was taken over: another run drives traffic now; touching it would fight that run.
    if (err instanceof LockedError) {
      reporter.emit({ event: 'error', message: `${err.message}; stopping without touching traffic` });
      throw err;
    }
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
