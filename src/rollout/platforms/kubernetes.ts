import { hostname } from 'node:os';
import { check, CommandRunner } from './command-runner';
import {
  assertWeight,
  Colour,
  InconsistentStateError,
  isColour,
  Lock,
  LockedError,
  otherColour,
  Platform,
  PlatformOptions,
  PreviewHealth,
  RolloutState,
} from './platform';

// Drives the helm/bulwark chart (CONTRACT section 5). Every change is a `helm upgrade --reuse-values`
// that touches only the rollout values, so whatever else the operator configured stays:
//   weight     → --no-hooks --set canary.weight=W
//   promote    → --no-hooks --set activeColor=<preview> --set canary.weight=0
//   abort      → --no-hooks --set canary.weight=0
//   start T    → --set <idle>.image.tag=T --set canary.weight=0, then `kubectl rollout status`
// Only `start` brings a new image, so only `start` runs the chart's pre-upgrade hooks (the migration
// Job, the generated Secret): a traffic change, above all a rollback, must not depend on them.
// The lock is a ConfigMap: `kubectl create` is atomic, so two operators cannot both hold it.

interface ChartValues {
  fullnameOverride?: unknown;
  nameOverride?: unknown;
  activeColor?: unknown;
  canary?: { weight?: unknown };
  blue?: { image?: { tag?: unknown }; replicas?: unknown };
  green?: { image?: { tag?: unknown }; replicas?: unknown };
}

/** The chart's `bulwark.fullname` helper (helm/bulwark/templates/_helpers.tpl): truncated to 50. */
export function chartFullname(
  release: string,
  values: Pick<ChartValues, 'fullnameOverride' | 'nameOverride'> = {},
): string {
  const trunc = (s: string): string => s.slice(0, 50).replace(/-+$/, '');
  if (typeof values.fullnameOverride === 'string' && values.fullnameOverride !== '')
    return trunc(values.fullnameOverride);
  const name =
    typeof values.nameOverride === 'string' && values.nameOverride !== '' ? values.nameOverride : 'bulwark';
  return trunc(release.includes(name) ? release : `${release}-${name}`);
}

export function stateFromValues(values: ChartValues): RolloutState {
  const active = values.activeColor;
  if (!isColour(active))
    throw new InconsistentStateError(
      `release values: activeColor is ${JSON.stringify(active)}, expected blue or green`,
    );
  const weight = values.canary?.weight ?? 0;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new InconsistentStateError(
      `release values: canary.weight is ${JSON.stringify(weight)}, expected an integer 0–100`,
    );
  }
  const tag = (c: Colour): string | null => {
    const t = values[c]?.image?.tag;
    return typeof t === 'string' && t !== '' ? t : typeof t === 'number' ? String(t) : null;
  };
  const state: RolloutState = {
    activeColor: active,
    previewColor: otherColour(active),
    weight,
    versions: { blue: tag('blue'), green: tag('green') },
  };
  const replicas: Partial<Record<Colour, number>> = {};
  for (const c of ['blue', 'green'] as const) {
    const r = Number(values[c]?.replicas);
    if (values[c]?.replicas !== undefined && values[c]?.replicas !== null && Number.isFinite(r))
      replicas[c] = r;
  }
  if (Object.keys(replicas).length > 0) state.replicas = replicas;
  if (state.versions[state.activeColor] === null)
    throw new InconsistentStateError(`release values: the active colour ${active} has no image tag`);
  if (weight > 0 && state.versions[state.previewColor] === null) {
    throw new InconsistentStateError(
      `release values: canary.weight is ${weight} but the preview colour ${state.previewColor} has no image tag`,
    );
  }
  return state;
}

export class KubernetesPlatform implements Platform {
  readonly type = 'kubernetes';
  private readonly runner: CommandRunner;
  private readonly release: string;
  private readonly namespace: string;
  private readonly chart: string;
  private readonly helm: string;
  private readonly kubectl: string;

  constructor(private readonly o: PlatformOptions) {
    this.runner = o.runner;
    this.release = o.release ?? 'bulwark';
    this.namespace = o.namespace ?? 'default';
    this.chart = o.chart ?? 'helm/bulwark';
    this.helm = o.helm ?? 'helm';
    this.kubectl = o.kubectl ?? 'kubectl';
  }

  private common(): string[] {
    const args = ['--namespace', this.namespace];
    if (this.o.kubeContext) args.push('--kube-context', this.o.kubeContext);
    return args;
  }

  private kubectlCommon(): string[] {
    const args = ['--namespace', this.namespace];
    if (this.o.kubeContext) args.push('--context', this.o.kubeContext);
    return args;
  }

  /** `hooks: false` for traffic-only changes: no migration Job, no Secret hook, nothing that can fail a rollback. */
  private async upgrade(sets: Record<string, string | number>, hooks: boolean): Promise<void> {
    const args = ['upgrade', this.release, this.chart, ...this.common(), '--reuse-values'];
    if (!hooks) args.push('--no-hooks');
    if (this.o.chartVersion) args.push('--version', this.o.chartVersion);
    for (const [key, value] of Object.entries(sets))
      args.push(key.endsWith('.tag') ? '--set-string' : '--set', `${key}=${value}`);
    await check(this.runner, this.helm, args);
  }

  private async values(): Promise<ChartValues> {
    const out = await check(this.runner, this.helm, [
      'get',
      'values',
      this.release,
      ...this.common(),
      '--all',
      '--output',
      'json',
    ]);
    let values: ChartValues;
    try {
      values = JSON.parse(out) as ChartValues;
    } catch {
      throw new InconsistentStateError(`helm get values ${this.release} did not answer JSON`);
    }
    return values ?? {};
  }

  /** Object names follow the release's own values (fullnameOverride), unless --fullname says otherwise. */
  private async fullname(values?: ChartValues): Promise<string> {
    return this.o.fullname ?? chartFullname(this.release, values ?? (await this.values()));
  }

  async readState(): Promise<RolloutState> {
    return stateFromValues(await this.values());
  }

  async start(tag: string): Promise<void> {
    const values = await this.values();
    const state = stateFromValues(values);
    if (state.weight > 0)
      throw new InconsistentStateError(
        `a canary is live at weight ${state.weight}: promote or abort it before starting another version`,
      );
    const idle = state.previewColor;
    if (state.replicas?.[idle] === 0)
      throw new InconsistentStateError(
        `the idle colour ${idle} has 0 replicas: traffic sent to it would find no pod. ` +
          `Scale it first (helm upgrade ${this.release} ${this.chart} --reuse-values --set ${idle}.replicas=N)`,
      );
    const fullname = await this.fullname(values);
    // With hooks: the new image's migrations run before its pods start.
    await this.upgrade({ [`${idle}.image.tag`]: tag, 'canary.weight': 0 }, true);
    const timeout = `${Math.ceil((this.o.readyTimeoutMs ?? 600_000) / 1000)}s`;
    await check(
      this.runner,
      this.kubectl,
      [
        'rollout',
        'status',
        `deployment/${fullname}-${idle}`,
        ...this.kubectlCommon(),
        `--timeout=${timeout}`,
      ],
      {
        timeoutMs: (this.o.readyTimeoutMs ?? 600_000) + 30_000,
      },
    );
  }

  async setWeight(weight: number): Promise<void> {
    assertWeight(weight);
    await this.upgrade({ 'canary.weight': weight }, false);
  }

  async promote(): Promise<void> {
    const state = await this.readState();
    if (state.versions[state.previewColor] === null)
      throw new InconsistentStateError(`the preview colour ${state.previewColor} has no version to promote`);
    await this.upgrade({ activeColor: state.previewColor, 'canary.weight': 0 }, false);
  }

  async abort(): Promise<void> {
    await this.upgrade({ 'canary.weight': 0 }, false);
  }

  async acquireLock(owner: string): Promise<Lock> {
    const name = `${await this.fullname()}-rollout-lock`;
    const holder = `${owner} (pid ${process.pid} on ${hostname()}, since ${new Date().toISOString()})`;
    const created = await this.runner.run(this.kubectl, [
      'create',
      'configmap',
      name,
      ...this.kubectlCommon(),
      `--from-literal=holder=${holder}`,
    ]);
    if (created.code !== 0) {
      if (/AlreadyExists|already exists/i.test(created.stderr)) {
        const current = await this.runner.run(this.kubectl, [
          'get',
          'configmap',
          name,
          ...this.kubectlCommon(),
          '--output',
          'jsonpath={.data.holder}',
        ]);
        throw new LockedError(
          `another rollout holds the lock: ${current.stdout.trim() || 'unknown holder'}. ` +
            `If it is gone, remove the lock with: kubectl delete configmap ${name} --namespace ${this.namespace}`,
        );
      }
      throw new Error(`could not take the rollout lock (configmap ${name}): ${created.stderr.trim()}`);
    }
    return {
      renew: () => Promise.reject(new Error('not implemented for kubernetes in this branch')),
      release: async () => {
        await this.runner.run(this.kubectl, [
          'delete',
          'configmap',
          name,
          ...this.kubectlCommon(),
          '--ignore-not-found',
        ]);
      },
    };
  }

  previewHealth(): Promise<PreviewHealth> {
    return Promise.reject(new Error('not implemented for kubernetes in this branch'));
  }

  sizePreview(): Promise<string> {
    return Promise.reject(new Error('not implemented for kubernetes in this branch'));
  }

  scheduleScaleDown(_colour: Colour, _delaySeconds: number): Promise<string> {
    return Promise.reject(new Error('not implemented for kubernetes in this branch'));
  }
}
