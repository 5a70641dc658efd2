// What surrounds the chart on kind: k8s/ manifests validated like the chart's objects and wired to
// the chart's defaults. The scripts themselves: test/deploy/kind-scripts.system-spec.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { yaml } from '../helpers/deploy/yaml';
import { CHART, HELM4, ROOT, helm, run } from '../helpers/deploy/tools';
import { FULLNAME, K8sObject, find, render } from '../helpers/deploy/render';
import { typeCheck, validateModels } from '../helpers/deploy/validate';

const K8S = path.join(ROOT, 'k8s');
const load = (file: string) =>
  yaml.loadAll(fs.readFileSync(path.join(K8S, file), 'utf8')).filter(Boolean) as K8sObject[];
const manifests = [
  'namespaces.yaml',
  'gateway.yaml',
  'postgres.yaml',
  'prometheus.yaml',
  'demo-load.yaml',
  'argo-rollouts.yaml',
].flatMap((f) =>
  load(f).map((object) => ({
    id: `${f}:${object.kind}/${object.metadata.name ?? object.metadata.generateName}`,
    object,
  })),
);
const chartValues = yaml.load(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as K8sObject;

describe('k8s/ manifests', () => {
  it('validate against the Kubernetes and Gateway API models, with no unknown field', () => {
    expect(validateModels(manifests)).toEqual([]);
    expect(typeCheck(manifests)).toEqual([]);
  });

  it('the kind cluster config is a kind v1alpha4 Cluster', () => {
    const [cluster] = load('kind-cluster.yaml');
    expect(cluster).toMatchObject({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'bulwark' });
  });

  it("the app namespace enforces the restricted Pod Security Standard, and the demo's own pods meet it", () => {
    const ns = manifests.find(
      (m) => m.object.kind === 'Namespace' && m.object.metadata.name === 'bulwark',
    )!.object;
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const { object } of manifests.filter((m) =>
      ['Deployment', 'StatefulSet', 'Job'].includes(m.object.kind),
    )) {
      const spec = object.spec.template.spec;
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.image).toMatch(/:[\w.-]+$/);
        expect(c.image).not.toMatch(/:latest$/);
      }
    }
  });

  it("Prometheus and PostgreSQL carry the labels the chart's NetworkPolicy admits", () => {
    const prom = manifests.find(
      (m) => m.object.kind === 'Deployment' && m.object.metadata.name === 'prometheus',
    )!.object;
    const [promPeer] = chartValues.networkPolicy.prometheusPeers;
    expect(prom.metadata.namespace).toBe(
      promPeer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'],
    );
    expect(prom.spec.template.metadata.labels).toMatchObject(promPeer.podSelector.matchLabels);
    const pg = manifests.find((m) => m.object.kind === 'StatefulSet')!.object;
    expect(pg.spec.template.metadata.labels).toMatchObject(
      chartValues.networkPolicy.databasePeers[0].podSelector.matchLabels,
    );
    expect(pg.spec.template.spec.containers[0].ports[0].containerPort).toBe(chartValues.database.port);
  });

  it('the Prometheus config scrapes the annotated pods and loads rules', () => {
    const cm = manifests.find((m) => m.object.kind === 'ConfigMap')!.object;
    const config = yaml.load(cm.data['prometheus.yml']) as K8sObject;
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
    const keep = config.scrape_configs[0].relabel_configs[0];
    expect(keep).toMatchObject({
      action: 'keep',
      source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'],
    });
    const pod = find(render(), 'Deployment', `${FULLNAME}-blue`).spec.template.metadata.annotations;
    expect(pod['prometheus.io/scrape']).toBe('true');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-prom-'));
    try {
      // Debian's Prometheus is built without Kubernetes service discovery: swap that block for a
      // static target so promtool still checks everything else (the relabel rules above all).
      const scrape = config.scrape_configs.map(({ kubernetes_sd_configs: sd, ...rest }: K8sObject) => {
        expect(sd).toEqual([{ role: 'pod' }]);
        return { ...rest, static_configs: [{ targets: ['127.0.0.1:3000'] }] };
      });
      fs.writeFileSync(
        path.join(dir, 'prometheus.yml'),
        yaml.dump({ ...config, rule_files: [], scrape_configs: scrape }),
      );
      const res = run('promtool', ['check', 'config', '--syntax-only', path.join(dir, 'prometheus.yml')]);
      expect(res.stdout + res.stderr).toMatch(/SUCCESS/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('values-kind.yaml lints with the chart and attaches the HTTPRoute to k8s/gateway.yaml', () => {
    const file = path.join(K8S, 'values-kind.yaml');
    const res = helm(['lint', '--strict', CHART, '--values', file]);
    expect(res.status).toBe(0);
    const objects = render({ valuesFiles: [file] });
    const gateway = manifests.find((m) => m.object.kind === 'Gateway')!.object;
    const route = objects.find((o) => o.kind === 'HTTPRoute')!;
    expect(route.spec.parentRefs[0]).toMatchObject({
      name: gateway.metadata.name,
      sectionName: gateway.spec.listeners[0].name,
    });
    const [api] = find(objects, 'Deployment', `${FULLNAME}-blue`).spec.template.spec.containers;
    expect(api.env.find((e: K8sObject) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef).toEqual({
      name: 'bulwark-database',
      key: 'DATABASE_URL',
    });
  });
});

describe('k8s/demo-load.yaml: the demo traffic Job', () => {
  const KUBECTL = path.join(path.dirname(HELM4), 'kubectl');

  it('becomes, with the offline `kubectl set --local` steps of scripts/demo-load.sh, a valid Job of the given image and target', () => {
    // The first two stages of the script's pipeline, exactly (the third, `kubectl create`, needs a cluster).
    const imaged = run(KUBECTL, [
      'set',
      'image',
      '--local',
      '-f',
      'k8s/demo-load.yaml',
      'load=bulwark:1.2.3',
      '-o',
      'yaml',
    ]);
    expect(imaged.stderr).toBe('');
    const target = 'http://envoy-bulwark-bulwark-gateway-1a2b3c.envoy-gateway-system.svc.cluster.local';
    const set = run(
      KUBECTL,
      ['set', 'env', '--local', '-f', '-', `TARGET_URL=${target}`, 'RATE=35', 'DURATION=5m', '-o', 'yaml'],
      { input: imaged.stdout },
    );
    expect(set.status).toBe(0);
    const job = yaml.load(set.stdout) as K8sObject;
    expect(validateModels([{ id: 'demo-load', object: job }])).toEqual([]);
    const [c] = job.spec.template.spec.containers;
    expect(c.image).toBe('bulwark:1.2.3');
    const env = Object.fromEntries(c.env.map((e: K8sObject) => [e.name, e.value]));
    expect(env).toEqual({ TARGET_URL: target, RATE: '35', DURATION: '5m' });
    // Kubernetes expands $(VAR) in args from the container's env: what the generator then receives.
    const args = (c.args as string[]).map((a) => a.replace(/\$\((\w+)\)/g, (_m, v: string) => env[v]));
    expect(args).toEqual([
      'node',
      'dist/demo/load-generator.js',
      '--target',
      target,
      '--rate',
      '35',
      '--duration',
      '5m',
    ]);
    expect(job.metadata.generateName).toBe('bulwark-demo-load-');
    expect(job.metadata.namespace).toBeUndefined(); // the script creates it with -n <namespace>
  });

  it("runs an entry point the image has (the build's dist/demo/load-generator.js)", () => {
    expect(fs.existsSync(path.join(ROOT, 'src', 'demo', 'load-generator.ts'))).toBe(true);
    const [c] = load('demo-load.yaml')[0].spec.template.spec.containers;
    expect(c.args.slice(0, 2)).toEqual(['node', 'dist/demo/load-generator.js']);
  });
});
