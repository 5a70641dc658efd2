import type {
  CheckResult,
  CheckStatus,
  ColourReadings,
  Reading,
  RoundInput,
  RoundResult,
  Thresholds,
} from './types';
import { previewHealthCheck, trafficShareCheck } from './liveness';

// One round of analysis: turns the readings of the canary (and optionally the stable colour) into
// pass / fail / inconclusive per check. Missing data is never a pass: an empty or NaN answer means
// "no evidence yet" (inconclusive), as in Flagger where "no values found" halts the analysis.

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

/** A usable number, or null for an error, NaN, an empty result or an infinity. */
export function usable(reading: Reading): number | null {
  return reading.ok && Number.isFinite(reading.value) ? reading.value : null;
}

function providerFailure(
  check: CheckResult['check'],
  query: string,
  threshold: number,
  comparator: CheckResult['comparator'],
  reading: Reading,
): CheckResult | null {
  if (reading.ok) return null;
  return {
    check,
    status: 'inconclusive',
    query,
    value: null,
    threshold,
    comparator,
    reason: `provider error: ${reading.error}`,
    providerError: true,
  };
}

/** Holds one value against an upper bound. */
function upperBound(
  check: CheckResult['check'],
  query: string,
  reading: Reading,
  threshold: number,
  what: string,
): CheckResult {
  const failed = providerFailure(check, query, threshold, '<=', reading);
  if (failed) return failed;
  const value = usable(reading);
  if (value === null) {
    return {
      check,
      status: 'inconclusive',
      query,
      value: null,
      threshold,
      comparator: '<=',
      reason: `no data for ${what} (empty or NaN result)`,
    };
  }
  const status: CheckStatus = value <= threshold ? 'pass' : 'fail';
  return {
    check,
    status,
    query,
    value,
    threshold,
    comparator: '<=',
    reason: `${what} ${fmt(value)} ${status === 'pass' ? '<=' : '>'} ${fmt(threshold)}`,
  };
}

function requestsCheck(readings: ColourReadings, query: string, minRequests: number): CheckResult {
  const failed = providerFailure('requests', query, minRequests, '>=', readings.requests);
  if (failed) return failed;
  const value = usable(readings.requests) ?? 0;
  const enough = value >= minRequests;
  return {
    check: 'requests',
    status: enough ? 'pass' : 'inconclusive',
    query,
    value,
    threshold: minRequests,
    comparator: '>=',
    reason: enough
      ? `${fmt(value)} canary requests in the window`
      : `only ${fmt(value)} canary requests in the window, need ${minRequests}: waiting`,
  };
}

/** The stable colour's value, when it has enough traffic to be a baseline. */
function baseline(
  stable: ColourReadings,
  reading: Reading,
  minRequests: number,
): { value: number } | { skip: string } | { error: string } {
  if (!stable.requests.ok) return { error: stable.requests.error };
  if (!reading.ok) return { error: reading.error };
  const requests = usable(stable.requests) ?? 0;
  if (requests < minRequests)
    return {
      skip: `stable has ${fmt(requests)} requests in the window (< ${minRequests}): no baseline, absolute thresholds still apply`,
    };
  const value = usable(reading);
  return value === null
    ? { skip: 'stable has no data: no baseline, absolute thresholds still apply' }
    : { value };
}

function comparison(
  check: 'error-rate-vs-stable' | 'p95-vs-stable',
  query: string,
  canary: Reading,
  base: ReturnType<typeof baseline>,
  limitFromBaseline: (b: number) => number,
  what: string,
): CheckResult {
  if ('error' in base)
    return {
      check,
      status: 'inconclusive',
      query,
      value: null,
      threshold: NaN,
      comparator: '<=',
      reason: `provider error: ${base.error}`,
      providerError: true,
    };
  if ('skip' in base)
    return {
      check,
      status: 'pass',
      query,
      value: usable(canary),
      threshold: NaN,
      comparator: '<=',
      reason: base.skip,
    };
  return upperBound(
    check,
    query,
    canary,
    limitFromBaseline(base.value),
    `${what} (stable ${fmt(base.value)})`,
  );
}

export function evaluateRound(input: RoundInput, t: Thresholds): RoundResult {
  const { canary, canaryQueries: q } = input;
  const requests = requestsCheck(canary, q.requests, t.minRequests);
  // Judged whatever the canary's request count: they are about a canary that gets none.
  const presence: CheckResult[] = [];
  if (input.previewHealth) presence.push(previewHealthCheck(input.previewHealth));
  if (input.traffic && input.stable && input.stableQueries)
    presence.push(
      trafficShareCheck({
        canary,
        stable: input.stable,
        weight: input.traffic.weight,
        windowCoverage: input.traffic.windowCoverage,
        minRequests: t.minRequests,
        query: `${q.requests}  vs  ${input.stableQueries.requests}`,
      }),
    );
  const checks: CheckResult[] = [
    ...presence,
    requests,
    upperBound('error-rate', q.errorRate, canary.errorRate, t.maxErrorRate, 'error rate'),
    upperBound('p95', q.p95, canary.p95, t.maxP95Seconds, 'p95 latency (s)'),
  ];

  if (input.stable && input.stableQueries && input.compareWithStable !== false) {
    const s = input.stable;
    if (t.errorRateMarginOverStable !== undefined) {
      const margin = t.errorRateMarginOverStable;
      checks.push(
        comparison(
          'error-rate-vs-stable',
          `${q.errorRate}  vs  ${input.stableQueries.errorRate}`,
          canary.errorRate,
          baseline(s, s.errorRate, t.minRequests),
          (b) => b + margin,
          'error rate',
        ),
      );
    }
    if (t.p95MarginOverStable !== undefined) {
      const margin = t.p95MarginOverStable;
      const slack = t.p95SlackSeconds ?? 0;
      checks.push(
        comparison(
          'p95-vs-stable',
          `${q.p95}  vs  ${input.stableQueries.p95}`,
          canary.p95,
          baseline(s, s.p95, t.minRequests),
          (b) => b * (1 + margin) + slack,
          'p95 latency (s)',
        ),
      );
    }
  }

  // Too little traffic: the numbers say nothing yet, so no check may pass or fail on them.
  if (requests.status === 'inconclusive' && !requests.providerError) {
    for (const c of checks) {
      if (c !== requests && !presence.includes(c) && !c.providerError && c.status !== 'inconclusive') {
        c.reason = `${c.reason} (not judged: too few requests)`;
        c.status = 'inconclusive';
      }
    }
  }

  const providerError = checks.some((c) => c.providerError === true);
  const status: CheckStatus = checks.some((c) => c.status === 'fail')
    ? 'fail'
    : checks.every((c) => c.status === 'pass')
      ? 'pass'
      : 'inconclusive';
  return { status, checks, providerError };
}
