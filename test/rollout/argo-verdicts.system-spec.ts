// The evaluator the rehearsal spec judges engine argo with (helpers/argo-verdicts.ts): the chart's
// rendered conditions give Argo's phases for the results Argo's Prometheus provider hands them.
import { analysisTemplate, phaseOf } from './helpers/argo-verdicts';

describe('Argo phases of the chart’s AnalysisTemplate conditions', () => {
  const [requests, errorRate, p95] = analysisTemplate({
    maxErrorRate: '0.01',
    maxP95: '0.45',
    minRequests: '40',
  }).spec.metrics;

  it.each([
    ['error-rate above the limit', errorRate, [0.2], 'Failed'],
    ['error-rate at the limit', errorRate, [0.01], 'Successful'],
    ['error-rate with too few requests (empty)', errorRate, [], 'Inconclusive'],
    ['error-rate NaN (no requests at all)', errorRate, [NaN], 'Inconclusive'],
    ['p95 above the limit', p95, [0.5], 'Failed'],
    ['p95 below', p95, [0.1], 'Successful'],
    ['requests below the minimum', requests, [12], 'Inconclusive'],
    ['requests: none', requests, [], 'Inconclusive'],
    ['requests at the minimum', requests, [40], 'Successful'],
  ])('%s: %s', (_name, metric, result, phase) => {
    expect(phaseOf(metric, result as number[])).toBe(phase);
  });
});
