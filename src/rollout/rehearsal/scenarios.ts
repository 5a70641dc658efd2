// What each rehearsal scenario does to the preview colour and what the tool must conclude.

export type ScenarioName = 'faulty' | 'healthy' | 'slow' | 'blind';

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** Extra environment of the preview (green) process. */
  canaryEnv: Record<string, string>;
  /** Stop Prometheus once the first step has passed: the tool must then never promote. */
  stopPrometheusAfterFirstStep?: boolean;
  expectedExit: 0 | 2;
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  faulty: {
    name: 'faulty',
    description: 'canary answers 20 % of /v1 requests with 500: rolled back at the first step',
    canaryEnv: { FAULTS_ENABLED: 'true', FAULT_ERROR_RATE: '0.2' },
    expectedExit: 2,
  },
  slow: {
    name: 'slow',
    description: 'canary adds 400 ms to every /v1 request: rolled back on p95',
    canaryEnv: { FAULTS_ENABLED: 'true', FAULT_LATENCY_MS: '400' },
    expectedExit: 2,
  },
  healthy: {
    name: 'healthy',
    description: 'canary as good as stable: promoted, all traffic on the new version',
    canaryEnv: {},
    expectedExit: 0,
  },
  blind: {
    name: 'blind',
    description: 'healthy canary, but Prometheus stops after the first step: never promoted',
    canaryEnv: {},
    stopPrometheusAfterFirstStep: true,
    expectedExit: 2,
  },
};

/**
 * The tool's analysis settings in the rehearsal: short, so four scenarios fit in a few minutes.
 * --max-p95 0.45: the slow canary's p95 cannot be below 0.49 s — every one of its requests takes
 * over 0.4 s, so all fall in the histogram's (0.3, 0.5] bucket or above, and histogram_quantile
 * interpolates 0.3 + 0.2 × 0.95 at the least — while a healthy canary on a busy 2-core CI machine
 * gets all the room under it.
 *
 * --min-requests 40: a canary failing 20 % of requests answers 40 in a row without an error with
 * probability 0.8^40 ≈ 1e-4, so the faulty canary cannot pass a judged round by chance (with 20 it
 * was ≈ 1 %, and a rehearsal in CI once advanced that way).
 */
export const REHEARSAL_RUN_ARGS = [
  '--steps',
  '20,50,100',
  '--interval',
  '2s',
  '--window',
  '10s',
  '--max-error-rate',
  '0.01',
  '--max-p95',
  '0.45',
  '--min-requests',
  '40',
  '--failure-limit',
  '2',
  '--provider-error-limit',
  '3',
  '--max-inconclusive',
  '8',
];
