import type { RecordedCommand } from './recording-runner';
import { RecordingRunner } from './recording-runner';

// A fake cluster for `--platform argo`: the recording runner answers kubectl with Rollout,
// ReplicaSet and AnalysisRun JSON shaped as Argo Rollouts v1.8 writes them (abridged to the fields
// the tool reads and a few around them), one Rollout state per `kubectl get rollout`.

export const NAME = 'shop-bulwark';
export const UID = '2f1c9a7e-5d4b-4f1e-9c2a-0d8e6b7a1c33';
export const STABLE = '7c9d8f6b5';
export const CANARY = '5f6b8c7d9';
const STEPS = [
  { setCanaryScale: { matchTrafficWeight: true } },
  { setWeight: 10 },
  { pause: { duration: '60s' } },
  { setWeight: 50 },
  { pause: { duration: '60s' } },
  { setWeight: 100 },
  { pause: { duration: '60s' } },
];

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function rollout(status: Json, tag = '1.5.0', spec: Json = {}): Json {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: NAME,
      namespace: 'prod',
      uid: UID,
      generation: 4,
      labels: { 'app.kubernetes.io/name': 'bulwark', 'app.kubernetes.io/version': tag },
    },
    spec: {
      replicas: 4,
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'bulwark', 'app.kubernetes.io/instance': 'shop' },
      },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'bulwark', 'app.kubernetes.io/version': tag } },
        spec: {
          containers: [
            {
              name: 'api',
              image: `registry.example/bulwark:${tag}`,
              env: [
                { name: 'APP_VERSION', value: tag },
                { name: 'NODE_ENV', value: 'production' },
              ],
            },
          ],
        },
      },
      strategy: {
        canary: {
          stableService: NAME,
          canaryService: `${NAME}-canary`,
          trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: NAME, namespace: 'prod' } } },
          steps: STEPS,
        },
      },
      ...spec,
    },
    status: {
      observedGeneration: '4',
      replicas: 5,
      updatedReplicas: 1,
      readyReplicas: 5,
      availableReplicas: 5,
      stableRS: STABLE,
      currentPodHash: CANARY,
      selector: 'app.kubernetes.io/instance=shop,app.kubernetes.io/name=bulwark',
      conditions: [{ type: 'Available', status: 'True', reason: 'AvailableReason' }],
      ...status,
    },
  };
}

export const weights = (canary: number) => ({
  weights: {
    canary: { weight: canary, podTemplateHash: CANARY, serviceName: `${NAME}-canary` },
    stable: { weight: 100 - canary, podTemplateHash: STABLE, serviceName: NAME },
  },
  currentBackgroundAnalysisRunStatus: { name: `${NAME}-${CANARY}-4`, status: 'Running' },
});

export function measurement(phase: string, value: string): Json {
  return { phase, value, startedAt: '2026-12-02T17:00:00Z', finishedAt: '2026-12-02T17:00:01Z' };
}

export function analysisRun(phase: string, results: Record<string, Json[]>, message?: string): Json {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name: `${NAME}-${CANARY}-4`,
      namespace: 'prod',
      creationTimestamp: '2026-12-02T16:59:00Z',
      labels: { 'rollout-type': 'Background', 'rollouts-pod-template-hash': CANARY },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: NAME, uid: UID, controller: true },
      ],
    },
    spec: {
      args: [{ name: 'canary-version', value: '1.5.0' }],
      metrics: [
        {
          name: 'requests',
          successCondition: 'len(result) > 0 && result[0] >= 50',
          failureCondition: 'false',
        },
        {
          name: 'error-rate',
          successCondition: 'len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.001',
          failureCondition: 'len(result) > 0 && !isNaN(result[0]) && result[0] > 0.001',
        },
      ],
    },
    status: {
      phase,
      ...(message ? { message } : {}),
      startedAt: '2026-12-02T16:59:00Z',
      metricResults: Object.entries(results).map(([name, measurements]) => ({
        name,
        phase: measurements.some((m) => m.phase === 'Failed') && phase === 'Failed' ? 'Failed' : 'Running',
        measurements,
        count: measurements.length,
        successful: measurements.filter((m) => m.phase === 'Successful').length,
        failed: measurements.filter((m) => m.phase === 'Failed').length,
      })),
    },
  };
}

const replicaSets = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      metadata: {
        name: `${NAME}-${STABLE}`,
        labels: { 'rollouts-pod-template-hash': STABLE },
        ownerReferences: [{ kind: 'Rollout', name: NAME, uid: UID }],
      },
      spec: { template: { metadata: { labels: { 'app.kubernetes.io/version': '1.4.0' } } } },
    },
  ],
};

/** A cluster whose Rollout goes through `states`, one per `kubectl get rollout`; the last one stays. */
export function cluster(states: { rollout: Json; runs?: Json[] }[], name: string = NAME) {
  let i = -1;
  const current = () => states[Math.max(0, Math.min(i, states.length - 1))];
  const runner = new RecordingRunner((call: RecordedCommand) => {
    if (call.command !== 'kubectl') return { code: 1, stderr: 'unexpected command' };
    const [verb, what] = call.args;
    if (verb === 'get' && what === `rollout.argoproj.io/${name}`) {
      i += 1;
      return { stdout: JSON.stringify(current().rollout) };
    }
    if (verb === 'get' && what === 'analysisrun.argoproj.io')
      return { stdout: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: current().runs ?? [] }) };
    if (verb === 'get' && what === 'replicasets') return { stdout: JSON.stringify(replicaSets) };
    if (verb === 'patch') return { stdout: `rollout.argoproj.io/${name} patched` };
    return { code: 1, stderr: `unexpected: ${call.args.join(' ')}` };
  });
  return { runner, patches: () => runner.calls.filter((c) => c.args[0] === 'patch').map((c) => c.args) };
}
