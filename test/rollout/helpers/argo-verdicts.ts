// How Argo Rollouts would judge the rehearsal's canary: the chart's AnalysisTemplate (engine argo,
// rendered with the rehearsal's thresholds) held against the results the rehearsal read for its
// queries after each of the tool's rounds (src/rollout/rehearsal/argo-readings.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArgoReading } from '../../../src/rollout/rehearsal/argo-readings';
import { substituteArgs } from '../../../src/rollout/analysis/argo';
import { find, render } from '../../helpers/deploy/render';

export type Phase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

/**
 * One condition of the template on `result`. The chart's conditions use expr's `len`, `isNaN`,
 * comparisons, `!` and `&&`, which read the same in JavaScript.
 */
export function holds(condition: string, result: number[]): boolean {
  const f = new Function('result', 'len', 'isNaN', `return (${condition});`) as (
    r: number[],
    len: (a: number[]) => number,
    nan: (v: number) => boolean,
  ) => unknown;
  return f(result, (a) => a.length, Number.isNaN) === true;
}

/** Argo's evaluate.EvaluateResult: failure wins; neither success nor failure is inconclusive. */
export function phaseOf(
  metric: { successCondition?: string; failureCondition?: string },
  result: number[],
): Phase {
  const success = metric.successCondition ? holds(metric.successCondition, result) : false;
  let failure = metric.failureCondition ? holds(metric.failureCondition, result) : false;
  if (metric.successCondition && !metric.failureCondition) failure = !success;
  if (failure) return 'Failed';
  return success ? 'Successful' : 'Inconclusive';
}

interface TemplateMetric {
  name: string;
  successCondition?: string;
  failureCondition?: string;
  provider: { prometheus: { query: string } };
}

const KEYS = { requests: 'requests', 'error-rate': 'errorRate', p95: 'p95' } as const;

/** The chart's AnalysisTemplate rendered with the tool's thresholds of the rehearsal. */
export function analysisTemplate(thresholds: { maxErrorRate: string; maxP95: string; minRequests: string }) {
  // A values file: `--set` would make the fractions strings, which the chart's schema refuses.
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-argo-values-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(
      file,
      JSON.stringify({
        rollout: {
          engine: 'argo',
          analysis: {
            maxErrorRate: Number(thresholds.maxErrorRate),
            maxP95Seconds: Number(thresholds.maxP95),
            minRequests: Number(thresholds.minRequests),
          },
        },
      }),
    );
    return find(render({ valuesFiles: [file] }), 'AnalysisTemplate', 'shop-bulwark');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per reading: each metric's phase, after checking the rehearsal read exactly the template's PromQL. */
export function argoVerdicts(
  template: ReturnType<typeof analysisTemplate>,
  readings: ArgoReading[],
  args: Record<string, string>,
): Array<Record<keyof typeof KEYS, Phase>> {
  return readings.map((reading) => {
    const out = {} as Record<keyof typeof KEYS, Phase>;
    for (const metric of template.spec.metrics as TemplateMetric[]) {
      const name = metric.name as keyof typeof KEYS;
      const key = KEYS[name];
      const query = substituteArgs(metric.provider.prometheus.query, args);
      if (query !== reading.queries[key])
        throw new Error(`the rehearsal read another query for ${name}: ${reading.queries[key]}`);
      const r = reading.results[key];
      out[name] = 'error' in r ? 'Error' : phaseOf(metric, r.result);
    }
    return out;
  });
}
