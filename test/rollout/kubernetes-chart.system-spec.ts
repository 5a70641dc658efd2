// The kubernetes platform against the real chart: every helm/kubectl invocation the tool issues is
// captured by a recording runner (no cluster here), and each `helm upgrade --reuse-values --set …`
// is rendered with the real `helm template` on top of the values the release had before, to check
// the weights and colours it produces for each traffic router.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/rollout/main';
import { RecordedCommand, RecordingRunner } from './helpers/recording-runner';
import { FakeKube } from './helpers/fake-kube';

// js-yaml ships no types here (no @types/js-yaml); the three calls used are typed by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as {
  load(text: string): unknown;
  loadAll(text: string): unknown[];
  dump(value: unknown): string;
};

const ROOT = resolve(__dirname, '..', '..');
const CHART = join(ROOT, 'helm', 'bulwark');
const HELM = join(ROOT, '.tools', 'helm4', 'helm');
const RELEASE = 'shop';
const NAMESPACE = 'bulwark';
const FULLNAME = 'shop-bulwark';

type Values = Record<string, unknown>;
// Loose on purpose: the spec reads a few fields deep inside rendered objects.
type K8sObject = {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec: Record<string, any>;
};

const helmHome = mkdtempSync(join(tmpdir(), 'rollout-helm-'));
afterAll(() => rmSync(helmHome, { recursive: true, force: true }));

function helmTemplate(userValues: Values, setArgs: string[]): K8sObject[] {
  const file = join(helmHome, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify(userValues)); // JSON is YAML
  const env = {
    ...process.env,
    HELM_CACHE_HOME: helmHome,
    HELM_CONFIG_HOME: helmHome,
    HELM_DATA_HOME: helmHome,
  };
  const r = spawnSync(
    HELM,
    [
      'template',
      RELEASE,
      CHART,
      '--namespace',
      NAMESPACE,
      '--kube-version',
      '1.31.0',
      '--values',
      file,
      ...setArgs,
    ],
    { env, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return yaml.loadAll(r.stdout).filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!hit) throw new Error(`${kind}/${name} not rendered`);
  return hit;
}

function deepMerge(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object'
        ? deepMerge(out[k] as Values, v as Values)
        : v;
  }
  return out;
}

function setPath(values: Values, key: string, value: unknown): void {
  const path = key.split('.');
  let node = values;
  for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Values;
  node[path[path.length - 1]] = value;
}

/**
 * A release without a cluster (helpers/fake-kube.ts): `helm get values --all` answers the chart
 * defaults merged with the user-supplied values; every `helm upgrade --reset-then-reuse-values --set …`
 * is rendered with the real `helm template` on the values the release had before, then applied.
 * kubectl (Deployments, pods, the Lease, patches) answers as a cluster would.
 */
function fakeRelease(routing: string, user: Values = {}) {
  const defaults = yaml.load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Values;
  const kube = new FakeKube(
    deepMerge(
      defaults,
      deepMerge(
        {
          trafficRouting: { type: routing },
          blue: { image: { tag: '1.0.0' } },
          green: { image: { tag: '1.0.0' } },
        },
        user,
      ),
    ),
  );
  kube.release.namespace = NAMESPACE;
  kube.podsTakePolls = 0;
  kube.diskChart = readFileSync(join(CHART, 'Chart.yaml'), 'utf8');
  kube.release.chart = `bulwark-${/^version:\s*(\S+)/m.exec(kube.diskChart)![1]}`;
  const renders: Array<{ call: RecordedCommand; objects: K8sObject[]; values: Values; before: Values }> = [];
  kube.onUpgrade = (call, before) => {
    const setArgs = call.args
      .slice(call.args.indexOf('--reset-then-reuse-values') + 1)
      .filter((w) => w !== '--force-conflicts');
    const objects = helmTemplate(before, setArgs);
    const after = structuredClone(before);
    for (const s of RecordingRunner.sets(call.args))
      setPath(after, s.key, s.flag === '--set-string' ? s.value : Number(s.value));
    renders.push({ call, objects, values: after, before });
  };
  return { runner: kube.runner, renders, kube };
}

/** The objects the release's current values render (what the cluster runs). */
const current = (kube: FakeKube): K8sObject[] => helmTemplate(kube.values, []);

/** A stand-in Prometheus answering every query of the tool with fixed values. */
async function fakePrometheus(errorRate: number): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
    const value = q.startsWith('histogram_quantile') ? 0.02 : q.includes('5..') ? errorRate : 1000;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, String(value)] }] },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const k8sArgs = [
  '--platform',
  'kubernetes',
  '--release',
  RELEASE,
  '--namespace',
  NAMESPACE,
  '--chart',
  CHART,
  '--helm',
  'helm',
  '--kubectl',
  'kubectl',
];

async function tool(argv: string[], runner: RecordingRunner): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(
    [...argv, ...k8sArgs],
    {},
    { runner, out: (l) => lines.push(l), err: (l) => lines.push(l) },
  );
  return { code, out: lines.join('\n') };
}

/** What a render routes: the weight and colours, read from the objects of each router. */
function routed(
  objects: K8sObject[],
  routing: string,
): { active: string; preview: string; canaryShare: string } {
  const stable = find(objects, 'Service', FULLNAME).spec.selector as Record<string, string>;
  const preview = (find(objects, 'Service', `${FULLNAME}-preview`).spec.selector as Record<string, string>)[
    'bulwark.dev/color'
  ];
  let canaryShare: string;
  // Routers send to the per-colour Services (blue, green), weighted by each colour's share.
  if (routing === 'gatewayApi') {
    const refs = find(objects, 'HTTPRoute', FULLNAME).spec.rules[0].backendRefs as Array<{
      name: string;
      weight: number;
    }>;
    expect(refs.map((r) => r.name)).toEqual([`${FULLNAME}-blue`, `${FULLNAME}-green`]);
    expect(refs[0].weight + refs[1].weight).toBe(100);
    canaryShare = String(refs[preview === 'blue' ? 0 : 1].weight);
  } else if (routing === 'ingressNginx') {
    const canary = find(objects, 'Ingress', `${FULLNAME}-canary`);
    expect(canary.spec.rules[0].http.paths[0].backend.service.name).toBe(`${FULLNAME}-green`);
    const green = Number(canary.metadata.annotations!['nginx.ingress.kubernetes.io/canary-weight']);
    canaryShare = String(preview === 'green' ? green : 100 - green);
  } else {
    // No router: the stable Service's selector carries the split.
    const colour = stable['bulwark.dev/color'];
    canaryShare = colour === undefined ? 'both colours' : colour === preview ? '100' : '0';
  }
  // The preview Service always selects the non-active colour; with a router in front the stable
  // Service stays on the active one.
  const active = preview === 'blue' ? 'green' : 'blue';
  if (routing !== 'service') expect(stable['bulwark.dev/color']).toBe(active);
  return { active, preview, canaryShare };
}

/**
 * What a recorded `kubectl patch` / `kubectl annotate` would do to the rendered objects: JSON patches
 * (`test` and `replace`), merge patches of a Service selector, annotations.
 */
function applyKubectl(objects: K8sObject[], args: string[]): K8sObject[] {
  const out = structuredClone(objects);
  const kinds: Record<string, string> = { httproute: 'HTTPRoute', service: 'Service', ingress: 'Ingress' };
  const target = find(out, kinds[args[1]], args[2]);
  if (args[0] === 'annotate') {
    const [key, value] = args[3].split('=');
    expect(Object.keys(target.metadata.annotations ?? {})).toContain(key); // the chart's own annotation
    target.metadata.annotations![key] = value;
    return out;
  }
  const patch = JSON.parse(args[args.indexOf('--patch') + 1]) as unknown;
  if (args.includes('--type=json')) {
    for (const op of patch as Array<{ op: string; path: string; value: unknown }>) {
      const keys = op.path.split('/').slice(1);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let node: any = target;
      for (const k of keys.slice(0, -1)) node = node[k];
      const last = keys[keys.length - 1];
      if (op.op === 'test') expect(node[last]).toEqual(op.value);
      else if (op.op === 'replace') {
        expect(node[last]).toBeDefined();
        node[last] = op.value;
      } else throw new Error(`unexpected op ${op.op}`);
    }
  } else {
    const sel = (patch as { spec: { selector: Record<string, string> } }).spec.selector;
    target.spec.selector = { ...target.spec.selector, ...sel };
  }
  return out;
}

/** The upgrades that move traffic (canary.weight, activeColor), not replicas. */
function traffic<T extends { call: RecordedCommand }>(renders: T[]): T[] {
  return renders.filter((r) =>
    RecordingRunner.sets(r.call.args).some((s) => s.key === 'canary.weight' || s.key === 'activeColor'),
  );
}

const route = (objects: K8sObject[]) =>
  JSON.stringify(objects.filter((o) => o.kind === 'HTTPRoute' || o.kind === 'Ingress'));

/** The objects helm would run as hooks (the migration Job, the generated Secret). */
const hooks = (objects: K8sObject[]): string[] =>
  objects
    .filter((o) => o.metadata.annotations?.['helm.sh/hook'] !== undefined)
    .map((o) => `${o.kind}/${o.metadata.name}`);

beforeAll(() => {
  if (!existsSync(HELM)) throw new Error(`${HELM} is missing: run scripts/setup.d/20-deploy-tools.sh`);
});

describe.each(['gatewayApi', 'ingressNginx', 'service'])(
  'kubernetes platform on the chart with trafficRouting.type=%s',
  (routing) => {
    const expectedShare = (w: number): string =>
      routing === 'service' && w > 0 && w < 100 ? 'both colours' : String(w);

    it('start puts the tag on the idle colour and waits for its rollout', async () => {
      const { runner, renders } = fakeRelease(routing);
      const { code } = await tool(['start', '--tag', '2.0.0'], runner);
      expect(code).toBe(0);
      expect(renders).toHaveLength(1);
      const images = ['blue', 'green'].map(
        (c) =>
          find(renders[0].objects, 'Deployment', `${FULLNAME}-${c}`).spec.template.spec.containers[0]
            .image as string,
      );
      expect(images).toEqual(['bulwark:1.0.0', 'bulwark:2.0.0']);
      // A new image: its migrations run first, with the hooks.
      expect(renders[0].call.args).not.toContain('--no-hooks');
      expect(hooks(renders[0].objects)).toContain(`Job/${FULLNAME}-migrate`);
      expect(routed(renders[0].objects, routing)).toEqual({
        active: 'blue',
        preview: 'green',
        canaryShare: '0',
      });
      expect(
        runner.calls.find((c) => c.command === 'kubectl' && c.args[0] === 'rollout')!.args.slice(0, 3),
      ).toEqual(['rollout', 'status', `deployment/${FULLNAME}-green`]);
    });

    it('run raises the weight through the steps and promotes: each upgrade renders the expected routing', async () => {
      const { runner, renders } = fakeRelease(routing);
      expect((await tool(['start', '--tag', '2.0.0'], runner)).code).toBe(0);
      const prom = await fakePrometheus(0);
      try {
        const { code, out } = await tool(
          [
            'run',
            '--steps',
            '10,50,100',
            '--interval',
            '100ms',
            '--min-requests',
            '20',
            '--prometheus-url',
            prom.url,
          ],
          runner,
        );
        expect(out).toContain('PROMOTED');
        expect(code).toBe(0);
      } finally {
        prom.server.close();
      }
      // Traffic changes; sizing the preview (green.replicas) may come between them.
      const upgrades = traffic(renders.slice(1));
      for (const u of renders.slice(1))
        expect(u.call.args.slice(0, 9)).toEqual([
          'upgrade',
          RELEASE,
          CHART,
          '--namespace',
          NAMESPACE,
          '--reset-then-reuse-values',
          '--no-hooks',
          '--force-conflicts',
          expect.stringMatching(/^--set/),
        ]);
      // Traffic changes run no hook: no migration Job with the canary's image, no Secret hook.
      expect(renders.slice(1).map((u) => hooks(u.objects))).toEqual(renders.slice(1).map(() => []));
      expect(upgrades.map((u) => routed(u.objects, routing))).toEqual([
        { active: 'blue', preview: 'green', canaryShare: expectedShare(10) },
        { active: 'blue', preview: 'green', canaryShare: expectedShare(50) },
        { active: 'blue', preview: 'green', canaryShare: expectedShare(100) },
        { active: 'green', preview: 'blue', canaryShare: '0' },
      ]);
      // Promotion restarts nothing: the Deployments render the same before and after the switch.
      const deployments = (objects: K8sObject[]) =>
        JSON.stringify(objects.filter((o) => o.kind === 'Deployment'));
      const beforePromotion = helmTemplate(upgrades[3].before, ['--no-hooks']);
      expect(deployments(upgrades[3].objects)).toBe(deployments(beforePromotion));
      // …and is atomic: from 100 % the route is the same, only the stable/preview Services move.
      expect(route(upgrades[3].objects)).toBe(route(beforePromotion));
      expect(route(upgrades[3].objects)).toBe(route(upgrades[2].objects));
    });

    it('run rolls a failing canary back to weight 0 on the same active colour', async () => {
      const { runner, renders } = fakeRelease(routing);
      expect((await tool(['start', '--tag', '2.0.0'], runner)).code).toBe(0);
      const prom = await fakePrometheus(0.5);
      try {
        const { code, out } = await tool(
          [
            'run',
            '--steps',
            '10,50,100',
            '--interval',
            '100ms',
            '--abort-scale-down-delay',
            '0s',
            '--prometheus-url',
            prom.url,
          ],
          runner,
        );
        expect(out).toContain('ROLLED BACK');
        expect(code).toBe(2);
      } finally {
        prom.server.close();
      }
      expect(traffic(renders.slice(1)).map((u) => routed(u.objects, routing))).toEqual([
        { active: 'blue', preview: 'green', canaryShare: expectedShare(10) },
        { active: 'blue', preview: 'green', canaryShare: '0' },
      ]);
      // The rollback cannot be failed by a broken migration or a database outage.
      const rollback = traffic(renders.slice(1))[1];
      expect(rollback.call.args).toContain('--no-hooks');
      expect(hooks(rollback.objects)).toEqual([]);
    });

    it('promote by hand from 100 %: sizes the preview first, renders the same route, and the old colour is scaled to 0 when due', async () => {
      const { runner, renders, kube } = fakeRelease(routing, {
        blue: { replicas: 3 },
        green: { replicas: 1 },
      });
      expect((await tool(['start', '--tag', '2.0.0'], runner)).code).toBe(0);
      kube.values = deepMerge(kube.values, { canary: { weight: 100 } }); // where a run leaves it
      // A run killed with SIGKILL left its Lease behind, last renewed ten minutes ago.
      kube.lease = {
        holderIdentity: 'run (pid 4242 on ci-runner-7)',
        leaseDurationSeconds: 60,
        acquireTime: new Date(Date.now() - 900_000).toISOString(),
        renewTime: new Date(Date.now() - 600_000).toISOString(),
        leaseTransitions: 0,
        resourceVersion: '4711',
      };
      const atHundred = current(kube);
      const { code, out } = await tool(['promote'], runner);
      expect(code).toBe(0);
      expect(out).toMatch(
        /took over the lock \(lease shop-bulwark-rollout\) from "run \(pid 4242 on ci-runner-7\)"/,
      );
      const [sizing, promotion] = renders.slice(1);
      expect(RecordingRunner.sets(sizing.call.args).map((x) => `${x.key}=${x.value}`)).toEqual([
        'green.replicas=3',
      ]);
      expect(find(sizing.objects, 'Deployment', `${FULLNAME}-green`).spec.replicas).toBe(3);
      expect(route(sizing.objects)).toBe(route(atHundred)); // sizing moves no traffic
      expect(out).toMatch(/sized green from 1 to 3 replicas \(blue runs 3\): 3 of 3 ready/);
      // Promotion from 100 %: the route is the one that already served, only Services move.
      expect(route(promotion.objects)).toBe(route(atHundred));
      expect(routed(promotion.objects, routing)).toEqual({
        active: 'green',
        preview: 'blue',
        canaryShare: '0',
      });
      expect(out).toMatch(/blue is scaled to 0 at \S+ \(in 600 s.*instant undo/);
      expect(kube.deployments.blue.annotations['bulwark.dev/scale-down-at']).toBeDefined();
      // Ten minutes later, any command scales blue down through the chart.
      kube.deployments.blue.annotations['bulwark.dev/scale-down-at'] = new Date(
        Date.now() - 1000,
      ).toISOString();
      const later = await tool(['status'], runner);
      expect(later.code).toBe(0);
      const scaleDown = renders[renders.length - 1];
      expect(RecordingRunner.sets(scaleDown.call.args).map((x) => `${x.key}=${x.value}`)).toEqual([
        'blue.replicas=0',
      ]);
      expect(find(scaleDown.objects, 'Deployment', `${FULLNAME}-blue`).spec.replicas).toBe(0);
      expect(route(scaleDown.objects)).toBe(route(promotion.objects));
      expect(later.out).toMatch(/scaled blue to 0 \(helm upgrade --set blue\.replicas=0\)/);
    });

    it.each([
      [
        'a field-ownership conflict',
        (k: FakeKube) => {
          k.upgradeError =
            'Error: UPGRADE FAILED: conflict occurred while applying object bulwark/shop-bulwark-green apps/v1, Kind=Deployment: ' +
            'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas';
        },
      ],
      [
        'a release stuck in pending-upgrade',
        (k: FakeKube) => {
          k.release.status = 'pending-upgrade';
        },
      ],
    ])(
      'abort on %s patches the route with kubectl: applied to the rendered objects, everything goes to the active colour',
      async (_n, breakIt) => {
        const { runner, kube } = fakeRelease(routing);
        expect((await tool(['start', '--tag', '2.0.0'], runner)).code).toBe(0);
        kube.values = deepMerge(kube.values, { canary: { weight: 50 } }); // a canary at 50 %
        breakIt(kube);
        const live = current(kube);
        const { code, out } = await tool(['abort', '--abort-scale-down-delay', '0s'], runner);
        expect(code).toBe(2);
        expect(out).toMatch(/break-glass: patched .* directly with kubectl; all traffic is on blue/);
        const patches = kube.calls.filter(
          (c) =>
            c.command === 'kubectl' &&
            (c.args[0] === 'patch' || (c.args[0] === 'annotate' && c.args[1] === 'ingress')),
        );
        expect(patches).toHaveLength(1);
        const patched = applyKubectl(live, patches[0].args);
        expect(routed(patched, routing)).toEqual({
          active: 'blue',
          preview: 'green',
          canaryShare: '0',
        });
        // The state follows the route; status says what happened.
        const status = await tool(['status'], runner);
        expect(status.out).toMatch(/canary weight 0%/);
        expect(status.out).toMatch(/break-glass: an abort at \S+ patched the route directly/);
      },
    );
  },
);

it('with the HPA on, sizing raises the preview HPA minimum to the active colour’s current replicas (the Deployments leave replicas to the HPA)', async () => {
  const { runner, renders, kube } = fakeRelease('gatewayApi', {
    hpa: { enabled: true },
    blue: { replicas: 2 },
    green: { replicas: 1 },
  });
  expect((await tool(['start', '--tag', '2.0.0'], runner)).code).toBe(0);
  kube.values = deepMerge(kube.values, { canary: { weight: 100 } });
  kube.deployments.blue.replicas = 5; // the HPA scaled blue to 5
  expect((await tool(['promote'], runner)).code).toBe(0);
  const sizing = renders[1];
  expect(RecordingRunner.sets(sizing.call.args).map((x) => `${x.key}=${x.value}`)).toEqual([
    'green.replicas=5',
  ]);
  expect(find(sizing.objects, 'HorizontalPodAutoscaler', `${FULLNAME}-green`).spec.minReplicas).toBe(5);
  expect(find(sizing.objects, 'Deployment', `${FULLNAME}-green`).spec.replicas).toBeUndefined();
});
