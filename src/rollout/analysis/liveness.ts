import type { CheckResult, ColourReadings, PreviewHealthReading } from './types';

// Two checks that catch a canary which is not there at all, as opposed to one that answers badly.
// When the preview's instances crash, are OOM-killed or all fail readiness, the router answers their
// share itself (503 "no healthy upstream") or retries it on the stable colour: the canary's own
// counter stops, and every other check would only say "too few requests" (inconclusive) for as long
// as the inconclusive limit allows. Both checks below fail such a round instead, and neither is ever
// turned into "inconclusive" by low canary traffic — low canary traffic is what they are about.

/** "Almost none": a canary answering fewer than this share of the requests its weight should bring. */
export const STARVED_SHARE = 0.1;

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3))));

/** The platform's view of the preview colour (pods available, upstream answering), as a check. */
export function previewHealthCheck(health: PreviewHealthReading): CheckResult {
  if ('error' in health)
    return {
      check: 'preview-health',
      status: 'inconclusive',
      query: 'platform: preview colour health',
      value: null,
      threshold: 1,
      comparator: '>=',
      reason: `could not read the preview colour's health: ${health.error}`,
      providerError: true,
    };
  return {
    check: 'preview-health',
    status: health.healthy ? 'pass' : 'fail',
    query: 'platform: preview colour health',
    value: health.healthy ? 1 : 0,
    threshold: 1,
    comparator: '>=',
    reason: health.healthy
      ? `preview colour healthy: ${health.reason}`
      : `preview colour cannot serve its share: ${health.reason}`,
  };
}

export interface TrafficShareInput {
  canary: ColourReadings;
  stable: ColourReadings;
  /** The weight the canary has had since the step began, in percent. */
  weight: number;
  /**
   * The part of the query window (0–1) that lies after the weight was set: the rest of the window
   * still holds the previous step's traffic, so less canary traffic is expected there.
   */
  windowCoverage: number;
  minRequests: number;
  query: string;
}

/**
 * Weight > 0, the stable colour receiving traffic, the canary receiving (almost) none: a failure,
 * not "too few requests". Expected canary requests = all requests in the window × weight × the part
 * of the window spent at this weight; the round fails when the canary answered fewer than
 * STARVED_SHARE of them. Judged only when at least `minRequests` canary requests were expected, so
 * a quiet service (nobody calling either colour) stays inconclusive, as before.
 */
export function trafficShareCheck(i: TrafficShareInput): CheckResult {
  const base = { check: 'canary-traffic' as const, query: i.query, comparator: '>=' as const };
  for (const r of [i.canary.requests, i.stable.requests])
    if (!r.ok)
      return {
        ...base,
        status: 'inconclusive',
        value: null,
        threshold: NaN,
        reason: `provider error: ${r.error}`,
        providerError: true,
      };
  const count = (r: ColourReadings['requests']): number =>
    r.ok && Number.isFinite(r.value) ? Math.max(0, r.value) : 0;
  const canary = count(i.canary.requests);
  const stable = count(i.stable.requests);
  const coverage = Math.min(1, Math.max(0, i.windowCoverage));
  const expected = (canary + stable) * (i.weight / 100) * coverage;
  const threshold = expected * STARVED_SHARE;
  if (i.weight <= 0 || expected < i.minRequests)
    return {
      ...base,
      status: 'pass',
      value: canary,
      threshold,
      reason: `not judged: about ${fmt(expected)} canary requests expected in the window (weight ${i.weight} %, ${fmt(coverage * 100)} % of the window at it), fewer than ${i.minRequests}`,
    };
  const starved = canary < threshold;
  return {
    ...base,
    status: starved ? 'fail' : 'pass',
    value: canary,
    threshold,
    reason: starved
      ? `weight ${i.weight} %: the canary answered ${fmt(canary)} requests while stable answered ${fmt(stable)}; about ${fmt(expected)} expected, fewer than ${fmt(STARVED_SHARE * 100)} % of that: it is not serving its share (crashed, not ready, or the router answers for it)`
      : `weight ${i.weight} %: the canary answered ${fmt(canary)} of about ${fmt(expected)} expected requests (stable ${fmt(stable)})`,
  };
}
