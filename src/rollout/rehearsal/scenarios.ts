// What each rehearsal scenario does to the preview colour and what the tool must conclude.

export type ScenarioName = 'faulty' | 'healthy' | 'slow' | 'blind' | 'crash' | 'unsized';

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** Extra environment of the preview (green) process. */
  canaryEnv: Record<string, string>;
  /** Stop Prometheus once the first step has passed: the tool must then never promote. */
  stopPrometheusAfterFirstStep?: boolean;
  /** Kill the canary process with SIGKILL after the first round of the first step. */
  killCanaryDuringFirstStep?: boolean;
  /** Instances of the active colour (blue); the preview (green) always has one. Default 1. */
  activeInstances?: number;
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
  crash: {
    name: 'crash',
    description:
      'canary process killed (SIGKILL) during the first step: rolled back within 2 rounds, the time from the kill to weight 0 printed',
    canaryEnv: {},
    killCanaryDuringFirstStep: true,
    expectedExit: 2,
  },
  unsized: {
    name: 'unsized',
    description:
      'healthy canary with 1 instance beside 2 active ones: the nginx platform cannot size it, so the run refuses to go past 50 % and rolls back',
    canaryEnv: {},
    activeInstances: 2,
    expectedExit: 2,
  },
};

/**
 * The tool's analysis settings in the rehearsal: short, so six scenarios fit in a few minutes.
 * Latency is judged against the stable colour, not against a fixed number, because a busy CI machine
 * slows both colours alike (an absolute --max-p95 0.45 once failed a healthy canary under load):
 * --p95-margin 0.25 --p95-slack 0.15: the canary fails when its p95 exceeds stable's × 1.25 + 0.15 s.
 * The slow canary adds 0.4 s to every request: on a quiet machine its p95 cannot be below 0.49 s
 * (all its requests in the histogram's (0.3, 0.5] bucket or above) against a limit of about 0.16 s;
 * on a busy one its whole distribution moves up by 0.4 s with stable's, past stable × 1.25 + 0.15.
 * --max-p95 2 stays as the absolute ceiling for rounds without a baseline (stable with too little
 * traffic, at 100 %).
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
  '2',
  '--p95-margin',
  '0.25',
  '--p95-slack',
  '0.15',
  '--min-requests',
  '40',
  '--failure-limit',
  '2',
  '--provider-error-limit',
  '3',
  '--max-inconclusive',
  '8',
];
