import type { CliOptions } from '../options';
import { check, CommandRunner } from './command-runner';
import { chartFullname } from './kubernetes';
import { InconsistentStateError } from './platform';

// `--platform argo` (docs/engines.md): the tool drives a Rollout of the chart's engine argo with plain
// kubectl (no kubectl plugin), doing what the Argo Rollouts plugin does:
//   status   kubectl get rollout/<fullname>, its ReplicaSets and AnalysisRuns
//   start T  one JSON patch of the Rollout: image, APP_VERSION and the version labels (the analysis
//            reads the canary's version from the Rollout's label); the controller then runs the steps
//   promote  status.promoteFull=true (and spec.paused=false): skip the remaining steps and analysis
//   abort    status.abort=true: all traffic back to the stable ReplicaSet
//   run      watch the controller: print every step, weight and AnalysisRun measurement as it comes;
//            exit 0 once the update is the stable version, 2 once it is aborted. A Degraded update
//            (the canary does not become available within the progress deadline) is aborted: a
//            canary that cannot serve must not keep its share of traffic.
// The decisions are the controller's; the tool reports them and their reasons.

export const ARGO_EXIT = { ok: 0, error: 1, aborted: 2 } as const;

const VERSION_LABEL = 'app.kubernetes.io/version';

export interface ArgoOptions {
  runner: CommandRunner;
  kubectl?: string;
  namespace?: string;
  kubeContext?: string;
  release?: string;
  fullname?: string;
  /** How often `run` reads the Rollout. */
  pollMs: number;
  /** Aborting it stops `run` watching (the controller goes on: it drives the update, not the tool). */
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Measurement {
  run: string;
  metric: string;
  index: number;
  phase: string;
  value: string | null;
  message: string | null;
  condition: string | null;
}

export type ArgoEvent =
  | {
      event: 'argo-status';
      rollout: string;
      phase: string;
      message: string;
      step: number | null;
      steps: number;
      stepDetail: string;
      weight: number;
      stable: { hash: string | null; version: string | null };
      canary: { hash: string | null; version: string | null } | null;
      paused: string[];
      analysisRuns: { name: string; phase: string; message: string | null }[];
    }
  | { event: 'argo-started'; rollout: string; tag: string; previous: string | null; note: string }
  | { event: 'argo-step'; step: number | null; steps: number; stepDetail: string; weight: number }
  | ({ event: 'argo-measurement' } & Measurement)
  | { event: 'argo-paused'; reasons: string[] }
  | { event: 'argo-promote'; rollout: string; version: string | null }
  | { event: 'argo-promoted'; rollout: string; version: string | null }
  | { event: 'argo-abort'; rollout: string; reason: string }
  | { event: 'argo-aborted'; rollout: string; reason: string }
  | { event: 'argo-stopped'; rollout: string; reason: string };

export function formatArgo(e: ArgoEvent): string {
  switch (e.event) {
    case 'argo-status': {
      const canary = e.canary ? `, canary ${e.canary.version ?? '?'} (${e.canary.hash})` : ', no canary';
      const runs = e.analysisRuns.map((r) => `${r.name} ${r.phase}${r.message ? ` (${r.message})` : ''}`);
      return (
        `rollout/${e.rollout} ${e.phase}${e.message ? ` (${e.message})` : ''}: stable ${e.stable.version ?? '?'} (${e.stable.hash ?? 'none'})${canary}, ` +
        `step ${e.step ?? '-'}/${e.steps} ${e.stepDetail}, canary weight ${e.weight}%` +
        (e.paused.length ? `, paused: ${e.paused.join(', ')}` : '') +
        `; analysis runs: ${runs.length ? runs.join('; ') : 'none'}`
      );
    }
    case 'argo-started':
      return `started ${e.tag} on rollout/${e.rollout} (was ${e.previous ?? '?'}): the controller runs the canary steps now. ${e.note}`;
    case 'argo-step':
      return `[step ${e.step ?? '-'}/${e.steps}] ${e.stepDetail}, canary weight ${e.weight}%`;
    case 'argo-measurement':
      return (
        `[analysis ${e.run}] ${e.metric} #${e.index}: ${e.phase.toUpperCase()} value=${e.value ?? 'none'}` +
        (e.condition ? ` (${e.condition})` : '') +
        (e.message ? ` — ${e.message}` : '')
      );
    case 'argo-paused':
      return `paused: ${e.reasons.join(', ')} — waiting for the controller, or for promote / abort`;
    case 'argo-promote':
      return `promote: rollout/${e.rollout} skips its remaining steps and analysis; ${e.version ?? '?'} becomes stable`;
    case 'argo-promoted':
      return `PROMOTED: ${e.version ?? '?'} is the stable version of rollout/${e.rollout}`;
    case 'argo-abort':
      return `abort: rollout/${e.rollout} sends all traffic back to the stable version — ${e.reason}`;
    case 'argo-aborted':
      return `ABORTED: rollout/${e.rollout} keeps the stable version — ${e.reason}`;
    case 'argo-stopped':
      return `stopped watching rollout/${e.rollout}: ${e.reason}`;
  }
}

/** Emits one event as a text line or a JSON line, like the tool's reporter. */
export function argoEmitter(json: boolean, out: (line: string) => void): (e: ArgoEvent) => void {
  return (e) =>
    out(
      json
        ? JSON.stringify({ time: new Date().toISOString(), ...e })
        : `${new Date().toISOString().slice(11, 19)} ${formatArgo(e)}`,
    );
}

/** The step the Rollout is at, in words, and the canary weight it implies. */
export function describeStep(rollout: Json): {
  step: number | null;
  steps: number;
  detail: string;
  weight: number;
} {
  const steps: Json[] = rollout.spec?.strategy?.canary?.steps ?? [];
  const index: number | null =
    typeof rollout.status?.currentStepIndex === 'number' ? rollout.status.currentStepIndex : null;
  const routed = rollout.status?.canary?.weights?.canary?.weight;
  let implied = 0;
  for (let i = 0; i < Math.min(index ?? steps.length, steps.length); i++)
    if (typeof steps[i].setWeight === 'number') implied = steps[i].setWeight;
  const inProgress =
    rollout.status?.currentPodHash && rollout.status.currentPodHash !== rollout.status.stableRS;
  const current = index !== null && index < steps.length ? steps[index] : undefined;
  if (current && typeof current.setWeight === 'number') implied = current.setWeight;
  const detail = !inProgress
    ? 'no update in progress'
    : current === undefined
      ? 'all steps done'
      : current.setWeight !== undefined
        ? `setWeight ${current.setWeight}`
        : current.pause !== undefined
          ? `pause ${current.pause.duration ?? 'until promoted'}`
          : current.setCanaryScale !== undefined
            ? `setCanaryScale ${JSON.stringify(current.setCanaryScale)}`
            : Object.keys(current).join(',');
  return {
    step: index === null ? null : index + 1 > steps.length ? steps.length : index + 1,
    steps: steps.length,
    detail,
    weight: typeof routed === 'number' ? routed : inProgress ? implied : 0,
  };
}

/** Every measurement of an AnalysisRun, oldest first per metric. */
export function measurementsOf(run: Json): Measurement[] {
  const conditions = new Map<string, string>();
  for (const m of run.spec?.metrics ?? [])
    if (m.successCondition) conditions.set(m.name, `success: ${m.successCondition}`);
  const out: Measurement[] = [];
  for (const metric of run.status?.metricResults ?? []) {
    (metric.measurements ?? []).forEach((m: Json, i: number) => {
      if (!m.phase || m.phase === 'Running') return;
      out.push({
        run: run.metadata?.name ?? '?',
        metric: metric.name,
        index: i + 1,
        phase: m.phase,
        value: m.value ?? null,
        message: m.message ?? null,
        condition: conditions.get(metric.name) ?? null,
      });
    });
  }
  return out;
}

export class ArgoRolloutClient {
  private readonly kubectl: string;
  private readonly namespace: string;
  readonly name: string;

  constructor(private readonly o: ArgoOptions) {
    this.kubectl = o.kubectl ?? 'kubectl';
    this.namespace = o.namespace ?? 'default';
    this.name = o.fullname ?? chartFullname(o.release ?? 'bulwark');
  }

  private common(): string[] {
    const args = ['--namespace', this.namespace];
    if (this.o.kubeContext) args.push('--context', this.o.kubeContext);
    return args;
  }

  private async getJson(args: string[]): Promise<Json> {
    const out = await check(this.o.runner, this.kubectl, ['get', ...args, ...this.common(), '-o', 'json']);
    try {
      return JSON.parse(out) as Json;
    } catch {
      throw new InconsistentStateError(`kubectl get ${args.join(' ')} did not answer JSON`);
    }
  }

  rollout(): Promise<Json> {
    return this.getJson([`rollout.argoproj.io/${this.name}`]);
  }

  analysisRun(name: string): Promise<Json> {
    return this.getJson([`analysisrun.argoproj.io/${name}`]);
  }

  /** The AnalysisRuns the Rollout owns, oldest first. */
  async analysisRuns(rollout: Json): Promise<Json[]> {
    const list = await this.getJson(['analysisrun.argoproj.io']);
    const uid = rollout.metadata?.uid;
    return ((list.items ?? []) as Json[])
      .filter((r) =>
        (r.metadata?.ownerReferences ?? []).some(
          (o: Json) => o.kind === 'Rollout' && (o.uid === uid || o.name === this.name),
        ),
      )
      .sort((a, b) =>
        String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
      );
  }

  /** The version (the pod template's version label) of the Rollout's ReplicaSet with this hash. */
  async versionOf(hash: string | undefined): Promise<string | null> {
    if (!hash) return null;
    const list = await this.getJson(['replicasets', '-l', `rollouts-pod-template-hash=${hash}`]);
    const rs = ((list.items ?? []) as Json[]).find((r) =>
      (r.metadata?.ownerReferences ?? []).some((o: Json) => o.kind === 'Rollout' && o.name === this.name),
    );
    return rs?.spec?.template?.metadata?.labels?.[VERSION_LABEL] ?? null;
  }

  async patch(body: unknown, options: { status?: boolean; json?: boolean } = {}): Promise<void> {
    await check(this.o.runner, this.kubectl, [
      'patch',
      `rollout.argoproj.io/${this.name}`,
      ...this.common(),
      ...(options.status ? ['--subresource=status'] : []),
      '--type',
      options.json ? 'json' : 'merge',
      '-p',
      JSON.stringify(body),
    ]);
  }
}

const inProgress = (r: Json): boolean =>
  Boolean(r.status?.currentPodHash) && r.status.currentPodHash !== r.status.stableRS;

const pauseReasons = (r: Json): string[] => [
  ...(r.spec?.paused ? ['spec.paused'] : []),
  ...((r.status?.pauseConditions ?? []) as Json[]).map((p) => String(p.reason)),
];

export async function argoStatus(client: ArgoRolloutClient, emit: (e: ArgoEvent) => void): Promise<number> {
  const r = await client.rollout();
  const step = describeStep(r);
  const runs = await client.analysisRuns(r);
  const canary = inProgress(r);
  emit({
    event: 'argo-status',
    rollout: client.name,
    phase: r.status?.phase ?? 'Unknown',
    message: r.status?.message ?? '',
    step: step.step,
    steps: step.steps,
    stepDetail: step.detail,
    weight: step.weight,
    stable: { hash: r.status?.stableRS ?? null, version: await client.versionOf(r.status?.stableRS) },
    canary: canary
      ? {
          hash: r.status.currentPodHash,
          version: r.spec?.template?.metadata?.labels?.[VERSION_LABEL] ?? null,
        }
      : null,
    paused: pauseReasons(r),
    analysisRuns: runs.map((a) => ({
      name: a.metadata?.name,
      phase: a.status?.phase ?? 'Pending',
      message: a.status?.message ?? null,
    })),
  });
  return ARGO_EXIT.ok;
}

export async function argoStart(
  client: ArgoRolloutClient,
  tag: string,
  emit: (e: ArgoEvent) => void,
): Promise<number> {
  const r = await client.rollout();
  if (inProgress(r) && !r.status?.abort)
    throw new InconsistentStateError(
      `rollout/${client.name} is already updating to ${r.spec?.template?.metadata?.labels?.[VERSION_LABEL] ?? '?'}: promote or abort it first`,
    );
  const containers: Json[] = r.spec?.template?.spec?.containers ?? [];
  const c = containers.findIndex((x) => x.name === 'api');
  if (c < 0)
    throw new InconsistentStateError(
      `rollout/${client.name} has no container "api": not the chart's Rollout`,
    );
  const image = String(containers[c].image ?? '');
  const repository = image.includes(':') ? image.slice(0, image.lastIndexOf(':')) : image;
  const env: Json[] = containers[c].env ?? [];
  const e = env.findIndex((x) => x.name === 'APP_VERSION');
  if (e < 0)
    throw new InconsistentStateError(`rollout/${client.name} sets no APP_VERSION: not the chart's Rollout`);
  const label = `/${VERSION_LABEL.replace('/', '~1')}`;
  // `test` first: if the Rollout changed since it was read, the patch fails instead of writing the
  // tag into the wrong container or variable.
  await client.patch(
    [
      { op: 'test', path: `/spec/template/spec/containers/${c}/name`, value: 'api' },
      { op: 'test', path: `/spec/template/spec/containers/${c}/env/${e}/name`, value: 'APP_VERSION' },
      { op: 'replace', path: `/spec/template/spec/containers/${c}/image`, value: `${repository}:${tag}` },
      { op: 'replace', path: `/spec/template/spec/containers/${c}/env/${e}/value`, value: tag },
      { op: 'replace', path: `/spec/template/metadata/labels${label}`, value: tag },
      { op: 'add', path: `/metadata/labels${label}`, value: tag },
    ],
    { json: true },
  );
  emit({
    event: 'argo-started',
    rollout: client.name,
    tag,
    previous: r.spec?.template?.metadata?.labels?.[VERSION_LABEL] ?? null,
    note: 'No migration runs this way: a version with migrations goes through helm upgrade --set rollout.argo.image.tag=T (its pre-upgrade hook migrates first).',
  });
  return ARGO_EXIT.ok;
}

export async function argoPromote(client: ArgoRolloutClient, emit: (e: ArgoEvent) => void): Promise<number> {
  const r = await client.rollout();
  if (r.status?.abort)
    throw new InconsistentStateError(
      `rollout/${client.name} was aborted: start a version again rather than promote it`,
    );
  if (!inProgress(r))
    throw new InconsistentStateError(`rollout/${client.name} has no update in progress: nothing to promote`);
  emit({
    event: 'argo-promote',
    rollout: client.name,
    version: r.spec?.template?.metadata?.labels?.[VERSION_LABEL] ?? null,
  });
  if (r.spec?.paused) await client.patch({ spec: { paused: false } });
  await client.patch({ status: { promoteFull: true } }, { status: true });
  return ARGO_EXIT.ok;
}

export async function argoAbort(
  client: ArgoRolloutClient,
  emit: (e: ArgoEvent) => void,
  reason: string,
): Promise<number> {
  emit({ event: 'argo-abort', rollout: client.name, reason });
  await client.patch({ status: { abort: true } }, { status: true });
  return ARGO_EXIT.aborted;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Watches the controller's update to its end; returns the exit code. */
export async function argoRun(
  client: ArgoRolloutClient,
  o: ArgoOptions,
  emit: (e: ArgoEvent) => void,
): Promise<number> {
  const sleep = o.sleep ?? ((ms: number) => defaultSleep(ms, o.signal));
  const first = await client.rollout();
  if (!inProgress(first))
    throw new InconsistentStateError(
      `rollout/${client.name} has no update in progress: start one with start --tag T`,
    );
  const target = first.status.currentPodHash as string;
  const version = first.spec?.template?.metadata?.labels?.[VERSION_LABEL] ?? null;
  const seen = new Set<string>();
  let lastStep = '';
  let lastPause = '';

  const report = async (r: Json): Promise<void> => {
    const step = describeStep(r);
    const key = `${step.step}|${step.detail}|${step.weight}`;
    if (key !== lastStep) {
      lastStep = key;
      emit({
        event: 'argo-step',
        step: step.step,
        steps: step.steps,
        stepDetail: step.detail,
        weight: step.weight,
      });
    }
    for (const run of await client.analysisRuns(r)) {
      for (const m of measurementsOf(run)) {
        const id = `${m.run}|${m.metric}|${m.index}`;
        if (seen.has(id)) continue;
        seen.add(id);
        emit({ event: 'argo-measurement', ...m });
      }
    }
    const pauses = pauseReasons(r).join(',');
    if (pauses !== lastPause) {
      lastPause = pauses;
      if (pauses) emit({ event: 'argo-paused', reasons: pauseReasons(r) });
    }
  };

  let r = first;
  for (;;) {
    await report(r);
    if (r.status?.abort) {
      emit({ event: 'argo-aborted', rollout: client.name, reason: r.status?.message || 'aborted' });
      return ARGO_EXIT.aborted;
    }
    if (r.status?.stableRS === target) {
      emit({ event: 'argo-promoted', rollout: client.name, version });
      return ARGO_EXIT.ok;
    }
    if (r.status?.currentPodHash !== target) {
      emit({
        event: 'argo-stopped',
        rollout: client.name,
        reason: `the Rollout moved on to another revision (${r.status?.currentPodHash}) before ${version} became stable`,
      });
      return ARGO_EXIT.error;
    }
    if (r.status?.phase === 'Degraded') {
      await argoAbort(client, emit, `the update is Degraded: ${r.status?.message || 'no message'}`);
      emit({ event: 'argo-aborted', rollout: client.name, reason: r.status?.message || 'Degraded' });
      return ARGO_EXIT.aborted;
    }
    if (o.signal?.aborted) {
      emit({
        event: 'argo-stopped',
        rollout: client.name,
        reason: 'interrupted; the controller goes on with the update (abort it with: abort --platform argo)',
      });
      return ARGO_EXIT.error;
    }
    await sleep(o.pollMs);
    if (o.signal?.aborted) continue;
    r = await client.rollout();
  }
}

/** `--platform argo`: one command on the Rollout; returns the exit code. */
export async function argoCommand(
  o: CliOptions,
  runner: CommandRunner,
  out: (line: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  const options: ArgoOptions = {
    runner,
    kubectl: o.kubectl,
    namespace: o.namespace,
    kubeContext: o.kubeContext,
    release: o.release,
    fullname: o.fullname,
    // The analysis interval is the controller's (the AnalysisTemplate's); here --interval is how
    // often `run` looks, at most every 5 s.
    pollMs: Math.min(o.intervalMs, 5000),
    signal,
  };
  const client = new ArgoRolloutClient(options);
  const emit = argoEmitter(o.json, out);
  switch (o.command) {
    case 'status':
      return argoStatus(client, emit);
    case 'start':
      return argoStart(client, o.tag!, emit);
    case 'promote':
      return argoPromote(client, emit);
    case 'abort':
      return argoAbort(client, emit, 'asked by hand');
    case 'run':
      return argoRun(client, options, emit);
    case 'init':
      throw new Error('init is for the nginx platform: --platform nginx --nginx-dir DIR');
  }
}
