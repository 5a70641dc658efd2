import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, CommandError, CommandRunner } from './command-runner';
import {
  assertWeight,
  Colour,
  COLOURS,
  InconsistentStateError,
  isColour,
  Lock,
  LockedError,
  otherColour,
  Platform,
  PlatformOptions,
  PreviewHealth,
  RolloutState,
  SizingError,
} from './platform';

// Drives the helm/bulwark chart (docs/kubernetes.md, docs/rollout.md). Every change is a
// `helm upgrade --reset-then-reuse-values` that sets only the rollout values, so whatever else the
// operator configured stays, and new chart defaults are taken rather than frozen:
//   weight     → --no-hooks --set canary.weight=W
//   promote    → --no-hooks --set activeColor=<preview> --set canary.weight=0
//   abort      → --no-hooks --set canary.weight=0     (break-glass: kubectl patch of the route)
//   size       → --no-hooks --set <preview>.replicas=N (the HPA minimum too, when hpa.enabled)
//   scale down → --no-hooks --set <colour>.replicas=0
//   start T    → --set-string <idle>.image.tag=T --set canary.weight=0, then `kubectl rollout status`
// Only `start` brings a new image, so only `start` runs the chart's pre-upgrade hooks (the migration
// Job): a traffic change, above all a rollback, must not depend on them.
//
// Helm 4 applies server-side: a field someone changed with `kubectl scale`/`edit` belongs to
// another field manager, and the next upgrade — an abort included — fails on the conflict. The tool
// sets chart-owned values only, so on Helm 4 it passes --force-conflicts: the chart's values win.
// Replicas are set through the chart (`<colour>.replicas`), never with `kubectl scale`, for the same
// reason; the one exception is the break-glass path, when helm cannot run at all.
//
// A traffic change with a chart on disk that is not the release's chart version would upgrade the
// chart as a side effect (and can restart both colours mid-canary): refused. A release stuck in
// `pending-*` refuses every upgrade: refused too — except `abort`, which then patches the route.
//
// The lock is a coordination.k8s.io/v1 Lease `<fullname>-rollout`, renewed while held; one that has
// not been renewed for its duration is taken over (said so), so a `run` killed with SIGKILL does not
// block the release for ever.

/** A Lease not renewed for this long is stale. */
export const LEASE_SECONDS = 60;
/** How often a held Lease is renewed in the background (besides the run's renewal every round). */
const RENEW_EVERY_MS = 20_000;
/** A scale-down delay up to this is waited out by the command itself; a longer one is recorded. */
export const WAIT_IN_PROCESS_MAX_SECONDS = 120;
/** How often a sizing wait re-reads the Deployment. */
const POLL_MS = 2_000;

/** On a colour's Deployment: when that colour is due to be scaled to 0 (ISO time). */
export const SCALE_DOWN_AT = 'bulwark.dev/scale-down-at';
/** On the stable Service: the break-glass abort patched the route; JSON {weight, activeColor, at, reason}. */
export const BREAK_GLASS = 'bulwark.dev/break-glass';

interface ChartValues {
  fullnameOverride?: unknown;
  nameOverride?: unknown;
  activeColor?: unknown;
  canary?: { weight?: unknown };
  blue?: { image?: { tag?: unknown }; replicas?: unknown };
  green?: { image?: { tag?: unknown }; replicas?: unknown };
  hpa?: { enabled?: unknown };
  trafficRouting?: { type?: unknown };
  rollout?: { scaleDownDelaySeconds?: unknown; abortScaleDownDelaySeconds?: unknown };
}

interface DeploymentJson {
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  spec: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
  };
}

interface ContainerStatusJson {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
  lastState?: { terminated?: { reason?: string; finishedAt?: string } };
}

interface PodJson {
  metadata: { name: string };
  status?: { containerStatuses?: ContainerStatusJson[] };
}

interface LeaseJson {
  metadata: { name: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

interface HelmRelease {
  name: string;
  status: string;
  chart: string;
  revision?: string;
}

/** Waiting reasons of a container that cannot serve. */
const BROKEN_WAITING =
  /^(CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|CreateContainerError|RunContainerError|InvalidImageName)$/;

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
    const r = replicasOf(values, c);
    if (r !== undefined) replicas[c] = r;
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

function replicasOf(values: ChartValues, c: Colour): number | undefined {
  const raw = values[c]?.replicas;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const r = Number(raw);
  return Number.isFinite(r) ? r : undefined;
}

/** Each colour's share of traffic, as the chart's `bulwark.colorShare` computes it. */
export function colourShares(activeColor: Colour, weight: number): Record<Colour, number> {
  const preview = otherColour(activeColor);
  return { [activeColor]: 100 - weight, [preview]: weight } as Record<Colour, number>;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A namespace name as kubectl may answer it (an RFC 1123 label), else undefined. */
function namespaceName(text: string): string | undefined {
  const t = text.trim();
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(t) ? t : undefined;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new InconsistentStateError(`${what} did not answer JSON`);
  }
}

const seconds = (ms: number): number => Math.round(ms / 1000);

/**
 * The namespace when neither --namespace nor ROLLOUT_NAMESPACE names one: the kube context's
 * (`kubectl config view --minify`), else `default`; with where it came from, for the operator.
 */
export async function contextNamespace(
  runner: CommandRunner,
  kubectl = 'kubectl',
  kubeContext?: string,
): Promise<{ namespace: string; from: string }> {
  const args = ['config', 'view', '--minify', '--output', 'jsonpath={..namespace}'];
  if (kubeContext) args.push('--context', kubeContext);
  const r = await runner.run(kubectl, args);
  const found = r.code === 0 ? namespaceName(r.stdout) : undefined;
  return found
    ? { namespace: found, from: "the kube context's; --namespace or ROLLOUT_NAMESPACE override it" }
    : { namespace: 'default', from: 'neither --namespace, ROLLOUT_NAMESPACE nor the kube context names one' };
}

/** What `status` adds on Kubernetes, and what the commands honour before they act. */
export interface KubernetesExtras {
  /** Lines about the namespace, the lock, scheduled scale-downs and a break-glass abort. */
  describe(): Promise<string[]>;
  /** Scales down every colour whose scale-down is due; one line per action. */
  honourScaleDowns(): Promise<string[]>;
  /** The release's rollout.scaleDownDelaySeconds / rollout.abortScaleDownDelaySeconds. */
  scaleDownDelays(): Promise<{ promotion: number; abort: number }>;
}

export function hasKubernetesExtras(p: Platform): p is Platform & KubernetesExtras {
  return p instanceof KubernetesPlatform;
}

export class KubernetesPlatform implements Platform, KubernetesExtras {
  readonly type = 'kubernetes';
  private readonly runner: CommandRunner;
  private readonly release: string;
  private readonly chart: string;
  private readonly helm: string;
  private readonly kubectl: string;
  private readonly log: (line: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;
  /** When this command began: a container that restarted after it restarted during the rollout. */
  private readonly since: Date;
  private ns?: string;
  private nsReady?: Promise<void>;
  private helmMajor?: number;
  private diskChart?: string;

  constructor(private readonly o: PlatformOptions) {
    this.runner = o.runner;
    this.release = o.release ?? 'bulwark';
    this.ns = o.namespace;
    this.chart = o.chart ?? 'helm/bulwark';
    this.helm = o.helm ?? 'helm';
    this.kubectl = o.kubectl ?? 'kubectl';
    this.log = o.log ?? (() => undefined);
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = o.now ?? (() => new Date());
    this.since = this.now();
  }

  // ---- namespace, helm and kubectl plumbing -------------------------------------------------

  /**
   * --namespace / ROLLOUT_NAMESPACE when given (options.ts), else the kube context's namespace,
   * else `default`; said once.
   */
  private async ready(): Promise<void> {
    this.nsReady ??= (async () => {
      if (this.ns !== undefined) return;
      const found = await contextNamespace(this.runner, this.kubectl, this.o.kubeContext);
      this.ns = found.namespace;
      this.log(`namespace ${found.namespace} (${found.from})`);
    })();
    await this.nsReady;
  }

  private common(): string[] {
    const args = ['--namespace', this.ns!];
    if (this.o.kubeContext) args.push('--kube-context', this.o.kubeContext);
    return args;
  }

  private kubectlCommon(): string[] {
    const args = ['--namespace', this.ns!];
    if (this.o.kubeContext) args.push('--context', this.o.kubeContext);
    return args;
  }

  private kc(args: string[], timeoutMs?: number): Promise<string> {
    return check(this.runner, this.kubectl, [...args, ...this.kubectlCommon()], { timeoutMs });
  }

  private async isHelm4(): Promise<boolean> {
    if (this.helmMajor === undefined) {
      const out = await check(this.runner, this.helm, ['version', '--short']);
      const m = /v(\d+)\./.exec(out);
      if (!m) throw new Error(`helm version --short answered "${out.trim()}": cannot tell Helm 3 from 4`);
      this.helmMajor = Number(m[1]);
    }
    return this.helmMajor >= 4;
  }

  private async upgrade(sets: Record<string, string | number>, hooks: boolean): Promise<void> {
    const args = ['upgrade', this.release, this.chart, ...this.common(), '--reset-then-reuse-values'];
    if (!hooks) args.push('--no-hooks');
    if (await this.isHelm4()) args.push('--force-conflicts');
    if (this.o.chartVersion) args.push('--version', this.o.chartVersion);
    for (const [key, value] of Object.entries(sets))
      args.push(key.endsWith('.tag') ? '--set-string' : '--set', `${key}=${value}`);
    await check(this.runner, this.helm, args);
  }

  private async releaseInfo(): Promise<HelmRelease> {
    const out = await check(this.runner, this.helm, [
      'list',
      ...this.common(),
      '--filter',
      `^${this.release.replace(/[.]/g, '\\.')}$`,
      '--all',
      '--output',
      'json',
    ]);
    const list = parseJson<HelmRelease[]>(out, `helm list ${this.release}`);
    const hit = Array.isArray(list) ? list.find((r) => r.name === this.release) : undefined;
    if (!hit)
      throw new InconsistentStateError(
        `release ${this.release}: not found in namespace ${this.ns} (--namespace, ROLLOUT_NAMESPACE or the kube context's namespace)`,
      );
    return hit;
  }

  /** `<name>-<version>` of the chart on disk (or --chart-version of a repository chart). */
  private async chartOnDisk(): Promise<string> {
    if (this.diskChart === undefined) {
      const args = ['show', 'chart', this.chart];
      if (this.o.chartVersion) args.push('--version', this.o.chartVersion);
      const out = await check(this.runner, this.helm, args);
      const field = (k: string): string | undefined =>
        new RegExp(`^${k}:\\s*["']?([^"'\\s]+)`, 'm').exec(out)?.[1];
      const name = field('name');
      const version = field('version');
      if (!name || !version)
        throw new Error(`helm show chart ${this.chart}: no name or version in its answer`);
      this.diskChart = `${name}-${version}`;
    }
    return this.diskChart;
  }

  /**
   * Before an upgrade that only moves traffic or replicas: the release is not stuck in a pending
   * state, and the chart on disk is the release's own (else the upgrade would change the chart too).
   */
  private async guardTrafficChange(what: string): Promise<void> {
    const rel = await this.releaseInfo();
    if (/^pending-/.test(rel.status))
      throw new InconsistentStateError(
        `release ${this.release} is ${rel.status} (an upgrade was interrupted): ${what} refused. ` +
          `Traffic can still go back to the active colour with \`abort\` (it patches the route directly); ` +
          `then repair the release: helm rollback ${this.release} --namespace ${this.ns}`,
      );
    const disk = await this.chartOnDisk();
    if (rel.chart !== disk)
      throw new InconsistentStateError(
        `the chart ${this.chart} is ${disk} but release ${this.release} runs ${rel.chart}: ${what} with it would ` +
          `also upgrade the chart and can restart both colours mid-canary. Point --chart (and --chart-version) ` +
          `at ${rel.chart}, or bring the new chart with the next \`start\``,
      );
  }

  private async values(): Promise<ChartValues> {
    await this.ready();
    const args = ['get', 'values', this.release, ...this.common(), '--all', '--output', 'json'];
    const r = await this.runner.run(this.helm, args);
    if (r.code !== 0 && /release: not found/i.test(r.stderr))
      throw new InconsistentStateError(
        `release ${this.release}: not found in namespace ${this.ns} — name the namespace with --namespace or ` +
          `ROLLOUT_NAMESPACE (else the kube context's is used), and the release with --release`,
      );
    if (r.code !== 0) throw new CommandError(this.helm, args, r);
    const out = r.stdout;
    return parseJson<ChartValues | null>(out, `helm get values ${this.release}`) ?? {};
  }

  /** Object names follow the release's own values (fullnameOverride), unless --fullname says otherwise. */
  private async fullname(values?: ChartValues): Promise<string> {
    return this.o.fullname ?? chartFullname(this.release, values ?? (await this.values()));
  }

  private async deployment(name: string): Promise<DeploymentJson> {
    return parseJson<DeploymentJson>(
      await this.kc(['get', 'deployment', name, '--output', 'json']),
      `kubectl get deployment ${name}`,
    );
  }

  /** The break-glass mark on the stable Service, when an abort had to patch the route. */
  private async breakGlassMark(
    fullname: string,
  ): Promise<{ weight: number; activeColor: string; at: string; reason: string } | undefined> {
    const text = await this.annotation('service', fullname, BREAK_GLASS);
    if (!text) return undefined;
    try {
      return JSON.parse(text) as { weight: number; activeColor: string; at: string; reason: string };
    } catch {
      return undefined;
    }
  }

  /** One annotation of an object; undefined when it has none, or the object cannot be read. */
  private async annotation(kind: string, name: string, key: string): Promise<string | undefined> {
    const r = await this.runner.run(this.kubectl, [
      'get',
      kind,
      name,
      ...this.kubectlCommon(),
      '--output',
      'json',
    ]);
    if (r.code !== 0) return undefined;
    try {
      return (JSON.parse(r.stdout) as { metadata?: { annotations?: Record<string, string> } }).metadata
        ?.annotations?.[key];
    } catch {
      return undefined;
    }
  }

  // ---- Platform ---------------------------------------------------------------------------

  async readState(): Promise<RolloutState> {
    const values = await this.values();
    const state = stateFromValues(values);
    if (state.weight > 0) {
      // The release still says weight W, but a break-glass abort sent everything back: the route
      // is what serves, so the state is weight 0 (a `run` then stops as "aborted by hand").
      const mark = await this.breakGlassMark(await this.fullname(values));
      if (mark && mark.weight === state.weight && mark.activeColor === state.activeColor)
        return { ...state, weight: 0 };
    }
    return state;
  }

  async start(tag: string): Promise<void> {
    const values = await this.values();
    const state = stateFromValues(values);
    if (state.weight > 0)
      throw new InconsistentStateError(
        `a canary is live at weight ${state.weight}: promote or abort it before starting another version`,
      );
    const rel = await this.releaseInfo();
    if (/^pending-/.test(rel.status))
      throw new InconsistentStateError(
        `release ${this.release} is ${rel.status} (an upgrade was interrupted): repair it first ` +
          `(helm rollback ${this.release} --namespace ${this.ns})`,
      );
    const idle = state.previewColor;
    const fullname = await this.fullname(values);
    const sets: Record<string, string | number> = { [`${idle}.image.tag`]: tag, 'canary.weight': 0 };
    if (state.replicas?.[idle] === 0) {
      // Scaled down after the last promotion or abort: it comes back at the active colour's count.
      const active = await this.deployment(`${fullname}-${state.activeColor}`);
      const n = Math.max(1, active.spec.replicas ?? state.replicas?.[state.activeColor] ?? 1);
      sets[`${idle}.replicas`] = n;
      this.log(
        `the idle colour ${idle} was scaled to 0: ${tag} starts on ${n} replicas (as ${state.activeColor})`,
      );
    }
    await this.cancelScaleDown(fullname, idle, `start puts ${tag} on it`);
    // With hooks: the new image's migrations run before its pods start.
    await this.upgrade(sets, true);
    const timeout = `${Math.ceil((this.o.readyTimeoutMs ?? 600_000) / 1000)}s`;
    await this.kc(
      ['rollout', 'status', `deployment/${fullname}-${idle}`, `--timeout=${timeout}`],
      (this.o.readyTimeoutMs ?? 600_000) + 30_000,
    );
  }

  async setWeight(weight: number): Promise<void> {
    assertWeight(weight);
    await this.ready();
    await this.guardTrafficChange(`canary weight ${weight}`);
    await this.upgrade({ 'canary.weight': weight }, false);
  }

  async promote(): Promise<void> {
    const values = await this.values();
    const state = stateFromValues(values);
    if (state.versions[state.previewColor] === null)
      throw new InconsistentStateError(`the preview colour ${state.previewColor} has no version to promote`);
    if (state.replicas?.[state.previewColor] === 0)
      throw new InconsistentStateError(
        `the preview colour ${state.previewColor} has 0 replicas: promoting it would send all traffic to no pod`,
      );
    await this.guardTrafficChange('promotion');
    await this.upgrade({ activeColor: state.previewColor, 'canary.weight': 0 }, false);
    // The new active colour is not to be scaled down any more (promote again before the deadline).
    await this.cancelScaleDown(
      await this.fullname(values),
      state.previewColor,
      'it is the active colour now',
    );
  }

  /**
   * Weight 0 with `helm upgrade`; when helm cannot (a field-ownership conflict, a release stuck in
   * pending-upgrade, another chart on disk), the break-glass path patches the route itself.
   */
  async abort(): Promise<void> {
    const values = await this.values();
    let why: string;
    try {
      await this.guardTrafficChange('abort');
      await this.upgrade({ 'canary.weight': 0 }, false);
      const fullname = await this.fullname(values);
      if (await this.breakGlassMark(fullname))
        await this.kc(['annotate', 'service', fullname, `${BREAK_GLASS}-`]);
      return;
    } catch (e) {
      why = e instanceof CommandError ? `helm upgrade failed: ${e.message}` : (e as Error).message;
    }
    await this.breakGlass(values, why);
  }

  private async breakGlass(values: ChartValues, why: string): Promise<void> {
    const active = values.activeColor;
    if (!isColour(active))
      throw new InconsistentStateError(
        `abort: ${why}; the break-glass path needs the active colour, and the release's activeColor is ${JSON.stringify(active)}`,
      );
    const fullname = await this.fullname(values);
    const router = typeof values.trafficRouting?.type === 'string' ? values.trafficRouting.type : 'service';
    const share = colourShares(active, 0);
    let patched: string;
    if (router === 'gatewayApi') {
      // The chart renders one rule with the backends blue then green; `test` refuses a route of
      // another shape instead of patching the wrong backend.
      const patch = [
        { op: 'test', path: '/spec/rules/0/backendRefs/0/name', value: `${fullname}-blue` },
        { op: 'test', path: '/spec/rules/0/backendRefs/1/name', value: `${fullname}-green` },
        { op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: share.blue },
        { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: share.green },
      ];
      await this.kc(['patch', 'httproute', fullname, '--type=json', '--patch', JSON.stringify(patch)]);
      patched = `httproute/${fullname} (blue ${share.blue}, green ${share.green})`;
    } else if (router === 'ingressNginx') {
      await this.kc([
        'annotate',
        'ingress',
        `${fullname}-canary`,
        `nginx.ingress.kubernetes.io/canary-weight=${share.green}`,
        '--overwrite',
      ]);
      patched = `ingress/${fullname}-canary (canary-weight ${share.green}: green's share)`;
    } else {
      await this.kc([
        'patch',
        'service',
        fullname,
        '--type=merge',
        '--patch',
        JSON.stringify({ spec: { selector: { 'bulwark.dev/color': active } } }),
      ]);
      patched = `service/${fullname} (selector bulwark.dev/color=${active})`;
    }
    const weight = typeof values.canary?.weight === 'number' ? values.canary.weight : 0;
    const mark = JSON.stringify({ weight, activeColor: active, at: this.now().toISOString(), reason: why });
    await this.kc(['annotate', 'service', fullname, `${BREAK_GLASS}=${mark}`, '--overwrite']);
    this.log(
      `abort: ${why} — break-glass: patched ${patched} directly with kubectl; all traffic is on ${active}. ` +
        `The release's values still say canary.weight=${weight}: repair the release (helm rollback ${this.release} ` +
        `--namespace ${this.ns} when it is pending), then run abort again so that helm agrees with the route`,
    );
  }

  async acquireLock(owner: string): Promise<Lock> {
    const values = await this.values();
    const name = `${await this.fullname(values)}-rollout`;
    const identity = `${owner} (pid ${process.pid} on ${hostname()})`;
    const now = this.now();
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        labels: {
          'app.kubernetes.io/instance': this.release,
          'app.kubernetes.io/managed-by': 'bulwark-rollout',
        },
      },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: LEASE_SECONDS,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-lease-'));
    let created;
    try {
      const file = join(dir, 'lease.json');
      writeFileSync(file, JSON.stringify(lease));
      created = await this.runner.run(this.kubectl, ['create', '--filename', file, ...this.kubectlCommon()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (created.code !== 0) {
      if (!/AlreadyExists|already exists/i.test(created.stderr))
        throw new Error(`could not take the rollout lock (lease ${name}): ${created.stderr.trim()}`);
      const held = parseJson<LeaseJson>(
        await this.kc(['get', 'lease', name, '--output', 'json']),
        `kubectl get lease ${name}`,
      );
      const stale = this.staleness(held);
      if (!stale.stale)
        throw new LockedError(
          `another rollout holds the lock (lease ${name}): ${held.spec?.holderIdentity}, renewed ${stale.ago} s ago. ` +
            `\`abort\` needs no lock; the lock frees itself ${LEASE_SECONDS} s after its holder stops renewing`,
        );
      const patch = [
        { op: 'test', path: '/metadata/resourceVersion', value: held.metadata.resourceVersion },
        { op: 'replace', path: '/spec/holderIdentity', value: identity },
        { op: 'replace', path: '/spec/leaseDurationSeconds', value: LEASE_SECONDS },
        { op: 'replace', path: '/spec/acquireTime', value: microTime(now) },
        { op: 'replace', path: '/spec/renewTime', value: microTime(now) },
        { op: 'replace', path: '/spec/leaseTransitions', value: (held.spec?.leaseTransitions ?? 0) + 1 },
      ];
      const taken = await this.runner.run(this.kubectl, [
        'patch',
        'lease',
        name,
        ...this.kubectlCommon(),
        '--type=json',
        '--patch',
        JSON.stringify(patch),
      ]);
      if (taken.code !== 0)
        throw new LockedError(
          `another rollout took the stale lock (lease ${name}) first: ${taken.stderr.trim()}`,
        );
      this.log(
        held.spec?.holderIdentity
          ? `took over the lock (lease ${name}) from "${held.spec.holderIdentity}", which stopped renewing it ` +
              `${stale.ago} s ago (at ${held.spec.renewTime}; lease ${stale.duration} s)`
          : `took the free lock (lease ${name})`,
      );
    }
    return this.heldLock(name, identity);
  }

  private staleness(l: LeaseJson): { stale: boolean; ago: number; duration: number } {
    const duration = l.spec?.leaseDurationSeconds ?? LEASE_SECONDS;
    const renewed = Date.parse(l.spec?.renewTime ?? l.spec?.acquireTime ?? '');
    const ago = Number.isNaN(renewed) ? Infinity : seconds(this.now().getTime() - renewed);
    return { stale: !l.spec?.holderIdentity || ago > duration, ago, duration };
  }

  private heldLock(name: string, identity: string): Lock {
    let lost: Error | undefined;
    const renew = async (): Promise<void> => {
      if (lost) throw lost;
      const patch = [
        { op: 'test', path: '/spec/holderIdentity', value: identity },
        { op: 'replace', path: '/spec/renewTime', value: microTime(this.now()) },
      ];
      const r = await this.runner.run(this.kubectl, [
        'patch',
        'lease',
        name,
        ...this.kubectlCommon(),
        '--type=json',
        '--patch',
        JSON.stringify(patch),
      ]);
      if (r.code === 0) return;
      // Whatever the API server's wording for a failed `test`: read back who holds the Lease now.
      const now = await this.runner.run(this.kubectl, [
        'get',
        'lease',
        name,
        ...this.kubectlCommon(),
        '--output',
        'jsonpath={.spec.holderIdentity}',
      ]);
      const gone = now.code !== 0 && /NotFound|not found/i.test(now.stderr);
      if (gone || (now.code === 0 && now.stdout.trim() !== identity)) {
        lost = new LockedError(
          `the rollout lock (lease ${name}) was ${gone ? 'removed' : `taken over by ${now.stdout.trim() || 'nobody'}`} ` +
            `while this command held it`,
        );
        throw lost;
      }
      throw new Error(`could not renew the rollout lock (lease ${name}): ${r.stderr.trim()}`);
    };
    const timer = setInterval(() => {
      renew().catch(() => undefined); // a failure is reported by the next renew() of the run
    }, RENEW_EVERY_MS);
    timer.unref();
    return {
      renew,
      release: async () => {
        clearInterval(timer);
        if (lost) return;
        const r = await this.runner.run(this.kubectl, [
          'get',
          'lease',
          name,
          ...this.kubectlCommon(),
          '--output',
          'jsonpath={.spec.holderIdentity}',
        ]);
        if (r.code === 0 && r.stdout.trim() === identity)
          await this.runner.run(this.kubectl, [
            'delete',
            'lease',
            name,
            ...this.kubectlCommon(),
            '--ignore-not-found',
          ]);
      },
    };
  }

  async previewHealth(): Promise<PreviewHealth> {
    const values = await this.values();
    const state = stateFromValues(values);
    const name = `${await this.fullname(values)}-${state.previewColor}`;
    const dep = await this.deployment(name);
    const desired = dep.spec.replicas ?? 0;
    const available = dep.status?.availableReplicas ?? 0;
    const pods = await this.pods(dep);
    let restarts = 0;
    const problems: string[] = [];
    for (const pod of pods)
      for (const c of pod.status?.containerStatuses ?? []) {
        restarts += c.restartCount ?? 0;
        const waiting = c.state?.waiting?.reason;
        if (waiting && BROKEN_WAITING.test(waiting)) problems.push(`${pod.metadata.name} ${waiting}`);
        const t = c.lastState?.terminated;
        if (t?.finishedAt && Date.parse(t.finishedAt) >= this.since.getTime() - 1000)
          problems.push(`${pod.metadata.name} restarted (${t.reason ?? 'terminated'} at ${t.finishedAt})`);
      }
    const reason =
      `${state.previewColor}: ${available} of ${desired} pods available, ${restarts} restart${restarts === 1 ? '' : 's'}` +
      (problems.length ? ` — ${[...new Set(problems)].join(', ')}` : '');
    const healthy = desired > 0 && available > 0 && problems.length === 0;
    return { healthy, reason };
  }

  private async pods(dep: DeploymentJson): Promise<PodJson[]> {
    const labels = dep.spec.selector?.matchLabels ?? {};
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    if (!selector) throw new InconsistentStateError(`deployment ${dep.metadata.name} has no selector`);
    const list = parseJson<{ items?: PodJson[] }>(
      await this.kc(['get', 'pods', '--selector', selector, '--output', 'json']),
      `kubectl get pods --selector ${selector}`,
    );
    return list.items ?? [];
  }

  async sizePreview(): Promise<string> {
    const values = await this.values();
    const state = stateFromValues(values);
    const { activeColor: active, previewColor: preview } = state;
    const fullname = await this.fullname(values);
    const activeDep = await this.deployment(`${fullname}-${active}`);
    const target = Math.max(1, activeDep.spec.replicas ?? state.replicas?.[active] ?? 1);
    const hpa = values.hpa?.enabled === true;
    const current = state.replicas?.[preview] ?? 0;
    const what = hpa ? 'replicas and HPA minimum' : 'replicas';
    let did: string;
    if (current >= target) {
      did = `${preview} already has ${current} ${what} (${active} runs ${target})`;
    } else {
      try {
        await this.guardTrafficChange(`sizing ${preview}`);
        await this.upgrade({ [`${preview}.replicas`]: target }, false);
      } catch (e) {
        throw new SizingError(`could not size ${preview} to ${target} ${what}: ${(e as Error).message}`);
      }
      did = `sized ${preview} from ${current} to ${target} ${what} (${active} runs ${target})`;
    }
    const deadline = this.now().getTime() + (this.o.readyTimeoutMs ?? 600_000);
    for (;;) {
      const dep = await this.deployment(`${fullname}-${preview}`);
      const available = dep.status?.availableReplicas ?? 0;
      const observed = (dep.status?.observedGeneration ?? 0) >= (dep.metadata.generation ?? 0);
      if (observed && (dep.spec.replicas ?? 0) >= target && available >= target)
        return `${did}: ${available} of ${target} ready`;
      if (this.now().getTime() >= deadline)
        throw new SizingError(
          `${did}, but only ${available} of ${target} ${preview} pods were available after ` +
            `${seconds(this.o.readyTimeoutMs ?? 600_000)} s (--ready-timeout)`,
        );
      await this.sleep(POLL_MS);
    }
  }

  async scheduleScaleDown(colour: Colour, delaySeconds: number): Promise<string> {
    const values = await this.values();
    const fullname = await this.fullname(values);
    const at = new Date(this.now().getTime() + delaySeconds * 1000).toISOString();
    await this.kc([
      'annotate',
      'deployment',
      `${fullname}-${colour}`,
      `${SCALE_DOWN_AT}=${at}`,
      '--overwrite',
    ]);
    if (delaySeconds > WAIT_IN_PROCESS_MAX_SECONDS)
      return (
        `${colour} is scaled to 0 at ${at} (in ${delaySeconds} s; deployment/${fullname}-${colour} ` +
        `annotated ${SCALE_DOWN_AT}): the first bulwark-rollout status/start/run/promote after then does it. ` +
        `Until then \`promote\` again is an instant undo`
      );
    await this.sleep(delaySeconds * 1000);
    const done = await this.scaleDownIfDue(fullname, colour, true);
    return `${colour}: waited ${delaySeconds} s; ${done}`;
  }

  /** Scales `colour` to 0 when its mark is due and it carries no traffic; says what it did. */
  private async scaleDownIfDue(fullname: string, colour: Colour, waited: boolean): Promise<string> {
    // readState: after a break-glass abort the route, not the release, says where traffic goes.
    const state = await this.readState();
    const name = `${fullname}-${colour}`;
    const dep = await this.deployment(name);
    const at = dep.metadata.annotations?.[SCALE_DOWN_AT];
    if (!at)
      return (dep.spec.replicas ?? 0) === 0
        ? `${colour} is already at 0 replicas`
        : `not scaled down: the scale-down of ${colour} was cancelled meanwhile`;
    if (!waited && Date.parse(at) > this.now().getTime()) return `not due before ${at}`;
    if (colour === state.activeColor || state.weight > 0) {
      await this.kc(['annotate', 'deployment', name, `${SCALE_DOWN_AT}-`]);
      return `not scaled down: ${colour} ${colour === state.activeColor ? 'is the active colour' : `carries ${state.weight} % of traffic`} now (scale-down cancelled)`;
    }
    let how: string;
    try {
      await this.guardTrafficChange(`scaling ${colour} down`);
      await this.upgrade({ [`${colour}.replicas`]: 0 }, false);
      how = `helm upgrade --set ${colour}.replicas=0`;
    } catch (e) {
      // helm cannot run (conflict, pending release, other chart): the pods must stop all the same.
      await this.kc(['scale', 'deployment', name, '--replicas=0']);
      how = `kubectl scale --replicas=0, because ${(e as Error).message}`;
    }
    await this.kc(['annotate', 'deployment', name, `${SCALE_DOWN_AT}-`]);
    return `scaled ${colour} to 0 (${how})`;
  }

  /** The scale-down deadline recorded on a Deployment; undefined when none, or it cannot be read. */
  private scaleDownAt(deployment: string): Promise<string | undefined> {
    return this.annotation('deployment', deployment, SCALE_DOWN_AT);
  }

  private async cancelScaleDown(fullname: string, colour: Colour, why: string): Promise<void> {
    const name = `${fullname}-${colour}`;
    const at = await this.scaleDownAt(name);
    if (!at) return;
    await this.kc(['annotate', 'deployment', name, `${SCALE_DOWN_AT}-`]);
    this.log(`the scale-down of ${colour} planned for ${at} is cancelled: ${why}`);
  }

  async honourScaleDowns(): Promise<string[]> {
    const values = await this.values();
    const fullname = await this.fullname(values);
    const lines: string[] = [];
    for (const colour of COLOURS) {
      const at = await this.scaleDownAt(`${fullname}-${colour}`);
      if (!at || Date.parse(at) > this.now().getTime()) continue;
      lines.push(
        `scale-down of ${colour} was due at ${at}: ${await this.scaleDownIfDue(fullname, colour, false)}`,
      );
    }
    return lines;
  }

  async scaleDownDelays(): Promise<{ promotion: number; abort: number }> {
    const r = (await this.values()).rollout ?? {};
    const n = (v: unknown, fallback: number): number =>
      typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
    return { promotion: n(r.scaleDownDelaySeconds, 600), abort: n(r.abortScaleDownDelaySeconds, 30) };
  }

  async describe(): Promise<string[]> {
    const values = await this.values();
    const fullname = await this.fullname(values);
    const lines = [`release ${this.release} in namespace ${this.ns}`];
    const lease = await this.runner.run(this.kubectl, [
      'get',
      'lease',
      `${fullname}-rollout`,
      ...this.kubectlCommon(),
      '--output',
      'json',
    ]);
    if (lease.code !== 0) lines.push('lock: free');
    else {
      const l = parseJson<LeaseJson>(lease.stdout, `kubectl get lease ${fullname}-rollout`);
      const s = this.staleness(l);
      lines.push(
        !l.spec?.holderIdentity
          ? 'lock: free'
          : s.stale
            ? `lock: held by ${l.spec.holderIdentity}, which STOPPED RENEWING it ${s.ago} s ago (at ${l.spec.renewTime}; lease ${s.duration} s): ` +
              `it is gone or stuck, the canary may be left at its weight; the next start/run/promote takes the lock over, \`abort\` needs none`
            : `lock: held by ${l.spec.holderIdentity}, renewed ${s.ago} s ago`,
      );
    }
    for (const colour of COLOURS) {
      const r = await this.runner.run(this.kubectl, [
        'get',
        'deployment',
        `${fullname}-${colour}`,
        ...this.kubectlCommon(),
        '--output',
        'json',
      ]);
      if (r.code !== 0) continue;
      let dep: DeploymentJson;
      try {
        dep = JSON.parse(r.stdout) as DeploymentJson;
      } catch {
        continue;
      }
      const at = dep.metadata?.annotations?.[SCALE_DOWN_AT];
      const available = dep.status?.availableReplicas ?? 0;
      lines.push(
        `${colour}: ${available} of ${dep.spec?.replicas ?? 0} pods available` +
          (at ? `; to be scaled to 0 at ${at}${Date.parse(at) <= this.now().getTime() ? ' (due)' : ''}` : ''),
      );
    }
    const mark = await this.breakGlassMark(fullname);
    if (mark)
      lines.push(
        `break-glass: an abort at ${mark.at} patched the route directly (${mark.reason}); the release still says ` +
          `canary.weight=${mark.weight}: repair the release, then run abort again`,
      );
    return lines;
  }
}
