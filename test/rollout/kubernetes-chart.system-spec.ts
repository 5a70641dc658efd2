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
 * A release without a cluster: `helm get values --all` answers the chart defaults merged with the
 * user-supplied values; every `helm upgrade --reuse-values` is rendered, then applied to them.
 */
function fakeRelease(routing: string) {
  const defaults = yaml.load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Values;
  let user: Values = {
    trafficRouting: { type: routing },
    blue: { image: { tag: '1.0.0' } },
    green: { image: { tag: '1.0.0' } },
  };
  const renders: Array<{ call: RecordedCommand; objects: K8sObject[]; values: Values }> = [];
  const runner = new RecordingRunner((call) => {
    if (call.command === 'helm' && call.args[0] === 'get')
      return { stdout: JSON.stringify(deepMerge(defaults, user)) };
    if (call.command === 'helm' && call.args[0] === 'upgrade') {
      const setArgs = call.args.slice(call.args.indexOf('--reuse-values') + 1);
      const objects = helmTemplate(user, setArgs);
      user = structuredClone(user);
      for (const s of RecordingRunner.sets(call.args))
        setPath(user, s.key, s.flag === '--set-string' ? s.value : Number(s.value));
      renders.push({ call, objects, values: deepMerge(defaults, user) });
    }
    return {};
  });
  return { runner, renders };
}

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
      const upgrades = renders.slice(1);
      for (const u of upgrades)
        expect(u.call.args.slice(0, 8)).toEqual([
          'upgrade',
          RELEASE,
          CHART,
          '--namespace',
          NAMESPACE,
          '--reuse-values',
          '--no-hooks',
          expect.stringMatching(/^--set/),
        ]);
      // Traffic changes run no hook: no migration Job with the canary's image, no Secret hook.
      expect(upgrades.map((u) => hooks(u.objects))).toEqual(upgrades.map(() => []));
      expect(upgrades.map((u) => routed(u.objects, routing))).toEqual([
        { active: 'blue', preview: 'green', canaryShare: expectedShare(10) },
        { active: 'blue', preview: 'green', canaryShare: expectedShare(50) },
        { active: 'blue', preview: 'green', canaryShare: expectedShare(100) },
        { active: 'green', preview: 'blue', canaryShare: '0' },
      ]);
      // Promotion restarts nothing: the Deployments render the same before and after the switch.
      const deployments = (objects: K8sObject[]) =>
        JSON.stringify(objects.filter((o) => o.kind === 'Deployment'));
      expect(deployments(upgrades[3].objects)).toBe(deployments(upgrades[2].objects));
      // …and is atomic: from 100 % the route is the same, only the stable/preview Services move.
      const route = (objects: K8sObject[]) =>
        JSON.stringify(objects.filter((o) => o.kind === 'HTTPRoute' || o.kind === 'Ingress'));
      expect(route(upgrades[3].objects)).toBe(route(upgrades[2].objects));
    });

    it('run rolls a failing canary back to weight 0 on the same active colour', async () => {
      const { runner, renders } = fakeRelease(routing);
      expect((await tool(['start', '--tag', '2.0.0'], runner)).code).toBe(0);
      const prom = await fakePrometheus(0.5);
      try {
        const { code, out } = await tool(
          ['run', '--steps', '10,50,100', '--interval', '100ms', '--prometheus-url', prom.url],
          runner,
        );
        expect(out).toContain('ROLLED BACK');
        expect(code).toBe(2);
      } finally {
        prom.server.close();
      }
      expect(renders.slice(1).map((u) => routed(u.objects, routing))).toEqual([
        { active: 'blue', preview: 'green', canaryShare: expectedShare(10) },
        { active: 'blue', preview: 'green', canaryShare: '0' },
      ]);
      // The rollback cannot be failed by a broken migration or a database outage.
      const rollback = renders[2];
      expect(rollback.call.args).toContain('--no-hooks');
      expect(hooks(rollback.objects)).toEqual([]);
    });
  },
);
