import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { CommandResult } from '../../../src/rollout/platforms/command-runner';
import { RecordedCommand, RecordingRunner } from './recording-runner';

// A release on a cluster that is not there: answers the helm and kubectl commands of the kubernetes
// platform the way helm 4 / kubectl 1.35 do (JSON shapes and error texts as the real tools print
// them), and applies what they change. The unit specs and test/rollout/kubernetes-chart.system-spec.ts
// drive the platform against it through a RecordingRunner.

type Json = Record<string, unknown>;

export interface FakeDeployment {
  replicas: number;
  available: number;
  generation: number;
  observedGeneration: number;
  annotations: Record<string, string>;
  /** Container statuses of each pod (one entry per pod). */
  pods: Array<{
    restartCount: number;
    waiting?: string;
    lastTerminated?: { reason: string; finishedAt: string };
  }>;
}

export interface FakeLease {
  holderIdentity?: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
  resourceVersion: string;
}

function setPath(values: Json, key: string, value: unknown): void {
  const path = key.split('.');
  let node = values;
  for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Json;
  node[path[path.length - 1]] = value;
}

const ok = (stdout = ''): Partial<CommandResult> => ({ stdout });
const fail = (stderr: string): Partial<CommandResult> => ({ code: 1, stderr });

export class FakeKube {
  release = { name: 'shop', namespace: 'prod', status: 'deployed', chart: 'bulwark-0.2.0', revision: '7' };
  helmVersion = 'v4.1.4+g05fa379';
  diskChart =
    'apiVersion: v2\nname: bulwark\ndescription: Bulwark\ntype: application\nversion: 0.2.0\nappVersion: "0.2.0"\n';
  /** What the kube context says its namespace is ('' when it names none). */
  contextNamespace = '';
  fullname = 'shop-bulwark';
  deployments: Record<'blue' | 'green', FakeDeployment>;
  lease?: FakeLease;
  stableAnnotations: Record<string, string> = {};
  /** When set, every `helm upgrade` fails with this stderr (and changes nothing). */
  upgradeError?: string;
  /** Polls of `kubectl get deployment` after a replicas change before the new pods are available. */
  podsTakePolls = 1;
  /** Called with each `helm upgrade` before its values are applied (the system spec renders it). */
  onUpgrade?: (call: RecordedCommand, before: Json) => void;
  /** The next call whose words start with these fails once with this stderr (a flaky API server). */
  failOnce?: { args: string[]; stderr: string };
  private rv = 100;
  private pendingReady: Record<string, number> = {};
  readonly runner: RecordingRunner;

  constructor(public values: Json) {
    const dep = (c: 'blue' | 'green'): FakeDeployment => {
      const n = Number((values[c] as Json | undefined)?.replicas ?? 2);
      return {
        replicas: n,
        available: n,
        generation: 3,
        observedGeneration: 3,
        annotations: {},
        pods: Array.from({ length: n }, () => ({ restartCount: 0 })),
      };
    };
    this.deployments = { blue: dep('blue'), green: dep('green') };
    this.runner = new RecordingRunner((call) => this.respond(call));
  }

  get calls(): RecordedCommand[] {
    return this.runner.calls;
  }

  /** The `helm upgrade` calls, each as its `key=value` sets. */
  upgrades(): string[][] {
    return this.calls
      .filter((c) => c.command === 'helm' && c.args[0] === 'upgrade')
      .map((c) => RecordingRunner.sets(c.args).map((s) => `${s.key}=${s.value}`));
  }

  /** kubectl calls as `verb kind name` (or the first three words). */
  kubectlVerbs(): string[] {
    return this.calls.filter((c) => c.command === 'kubectl').map((c) => c.args.slice(0, 3).join(' '));
  }

  private deploymentJson(colour: 'blue' | 'green'): Json {
    const d = this.deployments[colour];
    const name = `${this.fullname}-${colour}`;
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: this.release.namespace,
        generation: d.generation,
        annotations: {
          'deployment.kubernetes.io/revision': '4',
          'meta.helm.sh/release-name': 'shop',
          ...d.annotations,
        },
        labels: { 'app.kubernetes.io/instance': 'shop', 'bulwark.dev/color': colour },
      },
      spec: {
        replicas: d.replicas,
        selector: {
          matchLabels: {
            'app.kubernetes.io/name': 'bulwark',
            'app.kubernetes.io/instance': 'shop',
            'app.kubernetes.io/component': 'server',
            'bulwark.dev/color': colour,
          },
        },
      },
      status: {
        observedGeneration: d.observedGeneration,
        replicas: d.replicas,
        updatedReplicas: d.replicas,
        readyReplicas: d.available,
        availableReplicas: d.available === 0 ? undefined : d.available,
        ...(d.available < d.replicas ? { unavailableReplicas: d.replicas - d.available } : {}),
      },
    };
  }

  private podsJson(colour: 'blue' | 'green'): Json {
    const d = this.deployments[colour];
    return {
      apiVersion: 'v1',
      kind: 'List',
      items: d.pods.map((p, i) => ({
        metadata: { name: `${this.fullname}-${colour}-7d9c8b5f4-${'abcdefgh'[i]}x2kq` },
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'bulwark',
              ready: !p.waiting && i < d.available,
              restartCount: p.restartCount,
              started: !p.waiting,
              state: p.waiting
                ? { waiting: { reason: p.waiting, message: 'back-off 40s restarting failed container' } }
                : { running: { startedAt: '2026-12-02T16:00:00Z' } },
              lastState: p.lastTerminated
                ? {
                    terminated: {
                      exitCode: 137,
                      reason: p.lastTerminated.reason,
                      finishedAt: p.lastTerminated.finishedAt,
                    },
                  }
                : {},
            },
          ],
        },
      })),
    };
  }

  private leaseJson(): Json {
    const l = this.lease!;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: `${this.fullname}-rollout`,
        namespace: this.release.namespace,
        resourceVersion: l.resourceVersion,
      },
      spec: {
        holderIdentity: l.holderIdentity,
        leaseDurationSeconds: l.leaseDurationSeconds,
        acquireTime: l.acquireTime,
        renewTime: l.renewTime,
        leaseTransitions: l.leaseTransitions,
      },
    };
  }

  private colourOf(name: string): 'blue' | 'green' | undefined {
    if (name === `${this.fullname}-blue` || name === `deployment/${this.fullname}-blue`) return 'blue';
    if (name === `${this.fullname}-green` || name === `deployment/${this.fullname}-green`) return 'green';
    return undefined;
  }

  private annotate(target: Record<string, string>, words: string[]): void {
    for (const w of words) {
      if (w.startsWith('--')) continue;
      if (w.endsWith('-') && !w.includes('=')) delete target[w.slice(0, -1)];
      else {
        const [k, ...rest] = w.split('=');
        target[k] = rest.join('=');
      }
    }
  }

  private respond(call: RecordedCommand): Partial<CommandResult> {
    const a = call.args;
    if (this.failOnce && this.failOnce.args.every((w, i) => a[i] === w)) {
      const { stderr } = this.failOnce;
      this.failOnce = undefined;
      return fail(stderr);
    }
    // helm and kubectl may be given as paths (--helm, --kubectl).
    if (basename(call.command) === 'helm') {
      if (a[0] === 'version') return ok(`${this.helmVersion}\n`);
      if (a[0] === 'get' && a[1] === 'values') return ok(JSON.stringify(this.values));
      if (a[0] === 'list')
        return ok(
          JSON.stringify([
            { ...this.release, updated: '2026-12-02 16:01:02.123456789 +0000 UTC', app_version: '0.2.0' },
          ]),
        );
      if (a[0] === 'show' && a[1] === 'chart') return ok(this.diskChart);
      if (a[0] === 'upgrade') {
        if (this.upgradeError) return fail(this.upgradeError);
        if (this.release.status.startsWith('pending-'))
          return fail('Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress');
        this.onUpgrade?.(call, structuredClone(this.values));
        const values = structuredClone(this.values);
        for (const s of RecordingRunner.sets(a))
          setPath(
            values,
            s.key,
            s.flag === '--set-string' ? s.value : Number.isNaN(Number(s.value)) ? s.value : Number(s.value),
          );
        this.values = values;
        for (const c of ['blue', 'green'] as const) {
          const n = Number((values[c] as Json | undefined)?.replicas);
          const d = this.deployments[c];
          if (Number.isFinite(n) && n !== d.replicas) {
            d.replicas = n;
            d.generation += 1;
            if (n < d.available || n === 0) {
              d.available = n;
              d.pods = d.pods.slice(0, n);
            } else this.pendingReady[c] = this.podsTakePolls;
          }
        }
        this.release.revision = String(Number(this.release.revision) + 1);
        return ok('Release "shop" has been upgraded. Happy Helming!\n');
      }
      return fail(`unexpected helm call: ${a.join(' ')}`);
    }

    // kubectl
    if (a[0] === 'config' && a[1] === 'view') return ok(this.contextNamespace);
    if (a[0] === 'rollout' && a[1] === 'status')
      return ok(`deployment "${a[2].slice(11)}" successfully rolled out\n`);
    if (a[0] === 'get' && a[1] === 'deployment') {
      const c = this.colourOf(a[2]);
      if (!c) return fail(`Error from server (NotFound): deployments.apps "${a[2]}" not found`);
      const d = this.deployments[c];
      d.observedGeneration = d.generation;
      if (this.pendingReady[c] !== undefined) {
        if (this.pendingReady[c] <= 0) {
          d.available = d.replicas;
          while (d.pods.length < d.replicas) d.pods.push({ restartCount: 0 });
          delete this.pendingReady[c];
        } else this.pendingReady[c] -= 1;
      }
      return ok(JSON.stringify(this.deploymentJson(c)));
    }
    if (a[0] === 'get' && a[1] === 'pods') {
      const selector = a[a.indexOf('--selector') + 1];
      const c = /bulwark\.dev\/color=(blue|green)/.exec(selector)?.[1] as 'blue' | 'green' | undefined;
      return ok(JSON.stringify(c ? this.podsJson(c) : { kind: 'List', items: [] }));
    }
    if (a[0] === 'get' && a[1] === 'service')
      return ok(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: a[2],
            annotations: { 'meta.helm.sh/release-name': 'shop', ...this.stableAnnotations },
          },
        }),
      );
    if (a[0] === 'annotate' && a[1] === 'deployment') {
      const c = this.colourOf(a[2]);
      if (!c) return fail(`Error from server (NotFound): deployments.apps "${a[2]}" not found`);
      this.annotate(
        this.deployments[c].annotations,
        a.slice(3).filter((w) => w !== '--namespace' && w !== this.release.namespace),
      );
      return ok(`deployment.apps/${a[2]} annotated\n`);
    }
    if (a[0] === 'annotate' && a[1] === 'service') {
      this.annotate(
        this.stableAnnotations,
        a.slice(3).filter((w) => w !== '--namespace' && w !== this.release.namespace),
      );
      return ok(`service/${a[2]} annotated\n`);
    }
    if (a[0] === 'annotate' && a[1] === 'ingress') return ok(`ingress.networking.k8s.io/${a[2]} annotated\n`);
    if (a[0] === 'patch' && a[1] === 'httproute')
      return ok(`httproute.gateway.networking.k8s.io/${a[2]} patched\n`);
    if (a[0] === 'patch' && a[1] === 'service') return ok(`service/${a[2]} patched\n`);
    if (a[0] === 'scale' && a[1] === 'deployment') {
      const c = this.colourOf(a[2])!;
      const n = Number(a.find((w) => w.startsWith('--replicas='))!.split('=')[1]);
      this.deployments[c].replicas = n;
      this.deployments[c].available = Math.min(n, this.deployments[c].available);
      return ok(`deployment.apps/${a[2]} scaled\n`);
    }
    if (a[0] === 'create' && a[1] === '--filename') {
      const doc = JSON.parse(readFileSync(a[2], 'utf8')) as {
        metadata: { name: string };
        spec: Omit<FakeLease, 'resourceVersion'>;
      };
      if (this.lease)
        return fail(
          `Error from server (AlreadyExists): error when creating "${a[2]}": leases.coordination.k8s.io "${doc.metadata.name}" already exists`,
        );
      this.lease = { ...doc.spec, resourceVersion: String(++this.rv) };
      return ok(`lease.coordination.k8s.io/${doc.metadata.name} created\n`);
    }
    if (a[1] === 'lease' && !this.lease && a[0] !== 'create')
      return fail(`Error from server (NotFound): leases.coordination.k8s.io "${a[2]}" not found`);
    if (a[0] === 'get' && a[1] === 'lease') {
      const out = a[a.indexOf('--output') + 1];
      return ok(out === 'json' ? JSON.stringify(this.leaseJson()) : (this.lease!.holderIdentity ?? ''));
    }
    if (a[0] === 'delete' && a[1] === 'lease') {
      this.lease = undefined;
      return ok(`lease.coordination.k8s.io "${a[2]}" deleted\n`);
    }
    if (a[0] === 'patch' && a[1] === 'lease') {
      const ops = JSON.parse(a[a.indexOf('--patch') + 1]) as Array<{
        op: string;
        path: string;
        value: unknown;
      }>;
      const l = this.lease!;
      const read = (path: string): unknown =>
        path === '/metadata/resourceVersion' ? l.resourceVersion : (l as unknown as Json)[path.split('/')[2]];
      for (const op of ops)
        if (op.op === 'test' && read(op.path) !== op.value)
          return fail(
            `Error from server (UnprocessableEntity): testing value ${op.path} failed: test failed`,
          );
      for (const op of ops) if (op.op === 'replace') (l as unknown as Json)[op.path.split('/')[2]] = op.value;
      l.resourceVersion = String(++this.rv);
      return ok(`lease.coordination.k8s.io/${a[2]} patched\n`);
    }
    return fail(`unexpected kubectl call: ${a.join(' ')}`);
  }
}
