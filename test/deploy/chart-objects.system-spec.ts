// Every ci/*-values.yaml scenario is rendered offline and each object is checked against the
// Kubernetes schemas (types, enums, unknown fields), then against the deployment rules of issue 6.
import * as path from 'node:path';
import {
  FULLNAME,
  K8sObject,
  NAMESPACE,
  find,
  maybe,
  ofKind,
  render,
  scenarioFiles,
} from '../helpers/deploy/render';
import { Labelled, typeCheck, validateModels } from '../helpers/deploy/validate';
import { isForbiddenAddress } from '../../src/webhooks/url-guard';

const COLORS = ['blue', 'green'] as const;
const scenarios = scenarioFiles().map((file) => ({
  name: path.basename(file, '-values.yaml'),
  file,
  objects: render({ valuesFiles: [file] }),
}));
const defaults = { name: 'defaults', file: '', objects: render() };
const all = [defaults, ...scenarios];

/** The pod template of a workload (a CronJob's is inside its Job template). */
function podTemplate(o: K8sObject): K8sObject {
  if (o.kind === 'Pod') return o;
  return o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template;
}

function containers(o: K8sObject): K8sObject[] {
  const spec = podSpec(o);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function podSpec(o: K8sObject): K8sObject {
  return podTemplate(o).spec;
}

function envOf(c: K8sObject): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
}

const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => ['Deployment', 'Job', 'CronJob', 'Pod'].includes(o.kind));

describe('rendered chart: schemas', () => {
  const items: Labelled[] = all.flatMap((s) =>
    s.objects.map((object) => ({ id: `${s.name}:${object.kind}/${object.metadata.name}`, object })),
  );

  it('covers every scenario and object kind the chart can emit', () => {
    expect(scenarios.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'blue-active',
        'green-active',
        'canary-gateway-api',
        'canary-ingress-nginx',
        'canary-service',
        'hpa',
        'external-database',
        'order-flow-tests',
        'backup',
      ]),
    );
    const kinds = new Set(items.map((i) => i.object.kind));
    for (const kind of [
      'Deployment',
      'Service',
      'ConfigMap',
      'Secret',
      'Job',
      'CronJob',
      'Pod',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'HTTPRoute',
      'Ingress',
      'ServiceMonitor',
      'PrometheusRule',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it('validates every object against the Kubernetes / CRD models', () => {
    expect(validateModels(items)).toEqual([]);
  });

  it('has no field the API does not know (typed constants, tsc excess-property checks)', () => {
    // Type-check each distinct object once.
    const seen = new Set<string>();
    const distinct = items.filter((i) => {
      const key = JSON.stringify(i.object);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    expect(typeCheck(distinct)).toEqual([]);
  });

  it('the model validation does catch a wrong type (self-test)', () => {
    const deployment = find(defaults.objects, 'Deployment', `${FULLNAME}-blue`);
    const bad = JSON.parse(JSON.stringify(deployment));
    bad.spec.replicas = 'three';
    const failures = validateModels([{ id: 'bad', object: bad }]);
    expect(failures).toHaveLength(1);
    expect(failures[0].error).toMatch(/replicas/);
  });

  it('the type check does catch an unknown field (self-test)', () => {
    const deployment = find(defaults.objects, 'Deployment', `${FULLNAME}-blue`);
    const bad = JSON.parse(JSON.stringify(deployment));
    bad.spec.template.spec.containers[0].readinesProbe = bad.spec.template.spec.containers[0].readinessProbe;
    const errors = typeCheck([{ id: 'bad', object: bad }]);
    expect(errors.join('\n')).toMatch(/readinesProbe/);
  });
});

describe.each(all.map((s) => [s.name, s] as const))('rendered chart: %s', (_name, scenario) => {
  const objects = scenario.objects;
  const values = (key: 'activeColor') => {
    const active = find(objects, 'Service', FULLNAME).metadata.annotations?.['bulwark.dev/active-color'];
    return key === 'activeColor' ? active : undefined;
  };

  it('has one Deployment and one Service per colour, with the contract names', () => {
    for (const color of COLORS) {
      const d = find(objects, 'Deployment', `${FULLNAME}-${color}`);
      expect(d.spec.selector.matchLabels['bulwark.dev/color']).toBe(color);
      expect(d.spec.template.metadata.labels['bulwark.dev/color']).toBe(color);
      expect(find(objects, 'Service', `${FULLNAME}-${color}`).spec.selector['bulwark.dev/color']).toBe(color);
    }
    find(objects, 'Service', FULLNAME);
    find(objects, 'Service', `${FULLNAME}-preview`);
  });

  it('the preview Service selects the non-active colour only', () => {
    const active = values('activeColor');
    const preview = find(objects, 'Service', `${FULLNAME}-preview`);
    expect(preview.spec.selector['bulwark.dev/color']).toBe(active === 'blue' ? 'green' : 'blue');
  });

  it('sets RELEASE_COLOR to the own colour and APP_VERSION to the own tag, never latest', () => {
    for (const color of COLORS) {
      const d = find(objects, 'Deployment', `${FULLNAME}-${color}`);
      const [api] = d.spec.template.spec.containers;
      const tag = api.image.split(':').pop();
      expect(tag).not.toBe('latest');
      expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
      expect(envOf(api).RELEASE_COLOR).toBe(color);
      expect(envOf(api).APP_VERSION).toBe(tag);
      expect(envOf(api).MIGRATE_ON_BOOT).toBe('false');
      expect(api.args).toEqual(['node', 'dist/main.js']);
    }
    for (const w of workloads(objects)) {
      for (const c of containers(w)) expect(c.image).not.toMatch(/:latest$|^[^:]+$/);
    }
  });

  it('renders numbers in env as plain integers (no 1.2e+06)', () => {
    for (const w of workloads(objects)) {
      for (const c of containers(w)) {
        for (const [name, value] of Object.entries(envOf(c))) {
          if (value !== undefined) expect(`${name}=${value}`).not.toMatch(/\de[+-]\d/);
        }
      }
    }
  });

  it('runs every pod under the restricted Pod Security Standard', () => {
    for (const w of workloads(objects)) {
      const spec = podSpec(w);
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.hostNetwork ?? false).toBe(false);
      for (const c of containers(w)) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext.capabilities.add ?? []).toEqual([]);
        // A read-only root needs a writable /tmp.
        const tmp = (c.volumeMounts ?? []).find((m: { mountPath: string }) => m.mountPath === '/tmp');
        expect(tmp).toBeDefined();
        expect(spec.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
      }
    }
  });

  it('sets resource requests and a memory limit on every container', () => {
    for (const w of workloads(objects)) {
      for (const c of containers(w)) {
        expect(c.resources.requests.cpu).toBeDefined();
        expect(c.resources.requests.memory).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
      }
    }
  });

  it('mounts the active colour as a re-read file: the whole ConfigMap volume, no subPath', () => {
    const cm = find(objects, 'ConfigMap', `${FULLNAME}-active-color`);
    expect(cm.data.activeColor).toBe(`${values('activeColor')}\n`);
    for (const color of COLORS) {
      const spec = find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.template.spec;
      const [api] = spec.containers;
      const mount = api.volumeMounts.find((m: K8sObject) => m.name === 'active-color');
      expect(mount).toEqual({ name: 'active-color', mountPath: '/etc/bulwark/active-color', readOnly: true });
      expect(spec.volumes.find((v: K8sObject) => v.name === 'active-color').configMap).toEqual({
        name: cm.metadata.name,
      });
      expect(envOf(api)).toMatchObject({
        ACTIVE_COLOR_FILE: '/etc/bulwark/active-color/activeColor',
        ACTIVE_COLOR_POLL_MS: expect.stringMatching(/^\d+$/),
      });
    }
  });

  it('probes the health routes and rolls with maxUnavailable 0', () => {
    for (const color of COLORS) {
      const d = find(objects, 'Deployment', `${FULLNAME}-${color}`);
      const [api] = d.spec.template.spec.containers;
      expect(api.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      // One slow database ping must not take every pod of both colours out of the endpoints.
      expect(api.readinessProbe.failureThreshold).toBe(3);
      expect(api.ports).toEqual([{ name: 'http', containerPort: Number(envOf(api).PORT), protocol: 'TCP' }]);
      expect(d.spec.strategy).toMatchObject({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } });
    }
  });

  it('gives SIGTERM enough time: preStop pause + SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_TIMEOUT_MS fit with margin', () => {
    for (const color of COLORS) {
      const spec = find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.template.spec;
      const [api] = spec.containers;
      const pause = api.lifecycle.preStop.sleep.seconds as number;
      const delay = Number(envOf(api).SHUTDOWN_DELAY_MS) / 1000;
      const drain = Number(envOf(api).SHUTDOWN_DRAIN_TIMEOUT_MS) / 1000; // the app's drain limit
      expect(drain).toBeGreaterThan(0);
      expect(pause).toBeGreaterThan(0);
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(pause + delay + drain + 2);
      // Readiness must fail well before the delay ends, so routers stop sending first.
      expect(api.readinessProbe.periodSeconds * api.readinessProbe.failureThreshold).toBeLessThan(
        delay + pause,
      );
    }
  });

  it('never puts a secret value in plain env or a ConfigMap', () => {
    // ConfigMaps hold the active colour and, with dashboard.enabled, the Grafana dashboard; nothing else.
    const dashboard = maybe(objects, 'ConfigMap', `${FULLNAME}-dashboard`);
    expect(ofKind(objects, 'ConfigMap').map((c) => [c.metadata.name, Object.keys(c.data)])).toEqual([
      [`${FULLNAME}-active-color`, ['activeColor']],
      ...(dashboard ? [[`${FULLNAME}-dashboard`, ['bulwark.json']]] : []),
    ]);
    expect(scenario.name === 'green-active').toBe(dashboard !== undefined);
    for (const w of workloads(objects)) {
      for (const c of containers(w)) {
        for (const e of c.env ?? []) {
          if (/SECRET|PASSWORD|DATABASE_URL|REDIS_URL/.test(e.name)) {
            expect({ name: e.name, value: e.value }).toEqual({ name: e.name, value: undefined });
            expect(e.valueFrom.secretKeyRef.name).toBeTruthy();
          }
        }
      }
    }
  });

  it('runs migrations in a pre-install/pre-upgrade hook Job with a lock timeout and only DATABASE_URL', () => {
    const job = find(objects, 'Job', `${FULLNAME}-migrate`);
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '0',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const [c] = job.spec.template.spec.containers;
    expect(c.args).toEqual(['node', 'dist/database/migrate.js']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(c.env.map((e: { name: string }) => e.name).sort()).toEqual([
      'DATABASE_URL',
      'LOG_LEVEL',
      'MIGRATE_ON_BOOT',
      'MIGRATION_LOCK_RETRIES',
      'MIGRATION_LOCK_TIMEOUT_MS',
      'NODE_ENV',
    ]);
    expect(envOf(c)).toMatchObject({ MIGRATION_LOCK_TIMEOUT_MS: '2000', MIGRATION_LOCK_RETRIES: '5' });
    // On a first install the Job runs before the release's own objects exist: its URL comes from a
    // Secret that exists by then — an existing one, or a hook Secret of lower weight.
    const ref = c.env.find((e: K8sObject) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef;
    const source = maybe(objects, 'Secret', ref.name);
    if (source) {
      expect(source.metadata.annotations).toMatchObject({
        'helm.sh/hook': 'pre-install,pre-upgrade',
        'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
      });
      expect(Number(source.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(0);
      expect(Object.keys(source.data)).toEqual([ref.key]);
    } else {
      expect(ref.name).toMatch(/^bulwark-/); // the scenario's existing Secret
    }
  });

  it('generates its Secret as an ordinary release object, kept by uninstall, with a webhook key of its own', () => {
    const secret = maybe(objects, 'Secret', FULLNAME);
    if (!secret) return; // secrets.existingSecret
    expect(secret.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(Object.keys(secret.data)).toEqual(
      expect.arrayContaining(['JWT_SECRET', 'WEBHOOK_SECRET_KEY', 'ADMIN_PASSWORD']),
    );
    const decoded = (k: string) => Buffer.from(secret.data[k], 'base64').toString('utf8');
    expect(decoded('JWT_SECRET').length).toBeGreaterThanOrEqual(32);
    expect(decoded('WEBHOOK_SECRET_KEY').length).toBeGreaterThanOrEqual(32);
    expect(decoded('WEBHOOK_SECRET_KEY')).not.toBe(decoded('JWT_SECRET'));
    const [api] = find(objects, 'Deployment', `${FULLNAME}-blue`).spec.template.spec.containers;
    expect(api.env.find((e: K8sObject) => e.name === 'WEBHOOK_SECRET_KEY').valueFrom.secretKeyRef).toEqual({
      name: FULLNAME,
      key: 'WEBHOOK_SECRET_KEY',
      optional: true,
    });
  });

  it('has a read-only helm test through the stable Service; the writing order flow only when asked', () => {
    const smoke = find(objects, 'Pod', `${FULLNAME}-test-smoke`);
    expect(smoke.metadata.annotations?.['helm.sh/hook']).toBe('test');
    const [c] = smoke.spec.containers;
    expect(envOf(c).BASE_URL).toBe(`http://${FULLNAME}.${NAMESPACE}.svc:80`);
    // Read-only: no credentials at all, so it cannot sign in or write.
    expect(smoke.spec.initContainers).toBeUndefined();
    expect(c.env.filter((e: K8sObject) => e.valueFrom !== undefined)).toEqual([]);
    expect(c.args[3]).not.toMatch(/method: ?'(POST|PATCH|PUT|DELETE)'|'POST'/);
    const order = maybe(objects, 'Pod', `${FULLNAME}-test-order`);
    expect(order !== undefined).toBe(scenario.name === 'order-flow-tests');
    if (order) {
      expect(order.spec.initContainers[0].args.slice(0, 3)).toEqual([
        'node',
        'dist/users/admin-create.js',
        '--email',
      ]);
      const script = order.spec.containers[0].args[3] as string;
      for (const call of ["'/v1/auth/login'", "'/v1/products'", "'/v1/auth/register'", "'/v1/orders'"])
        expect(script).toContain(call);
    }
  });

  it('restricts the pods with a NetworkPolicy: router, Prometheus and helm test in; DNS, database, webhooks out', () => {
    const np = find(objects, 'NetworkPolicy', FULLNAME);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.podSelector.matchLabels['app.kubernetes.io/component']).toBe('server');
    const router = ofKind(objects, 'HTTPRoute').length
      ? 'envoy-gateway-system'
      : ofKind(objects, 'Ingress').length
        ? 'ingress-nginx'
        : undefined;
    const froms = np.spec.ingress.map((r: K8sObject) => JSON.stringify(r.from));
    if (router)
      expect(froms.some((f: string) => f.includes(`"kubernetes.io/metadata.name":"${router}"`))).toBe(true);
    else expect(froms.some((f: string) => f === '[{"podSelector":{}}]')).toBe(true);
    expect(froms.some((f: string) => f.includes('"app.kubernetes.io/name":"prometheus"'))).toBe(true);
    expect(froms.some((f: string) => f.includes('"app.kubernetes.io/component":"test"'))).toBe(true);
    for (const rule of np.spec.ingress) expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    const egress = np.spec.egress.map((r: K8sObject) => JSON.stringify(r));
    const dns = egress.find((e: string) => e.includes('"port":53,"protocol":"UDP"'));
    expect(dns).toContain('"port":53,"protocol":"TCP"');
    expect(egress.some((e: string) => e.includes('"port":5432'))).toBe(true);
    // Webhook deliveries leave the cluster: some rule lets the pods reach public addresses.
    expect(egress.some((e: string) => e.includes('"ipBlock"') && !e.includes('"port":5432'))).toBe(true);
  });

  it('selects every pod the release makes with a NetworkPolicy (Deployments, migration Job, backup CronJob, test pods)', () => {
    const policies = ofKind(objects, 'NetworkPolicy');
    const matches = (labels: Record<string, string>, p: K8sObject) =>
      Object.entries(p.spec.podSelector.matchLabels as Record<string, string>).every(
        ([k, v]) => labels[k] === v,
      );
    for (const w of workloads(objects)) {
      const labels = podTemplate(w).metadata.labels!;
      const selecting = policies.filter((p) => matches(labels, p));
      expect({ workload: `${w.kind}/${w.metadata.name}`, policies: selecting.length }).toEqual({
        workload: `${w.kind}/${w.metadata.name}`,
        policies: 1,
      });
      expect(selecting[0].spec.policyTypes).toEqual(['Ingress', 'Egress']);
    }
    const migrations = find(objects, 'NetworkPolicy', `${FULLNAME}-migrations`);
    expect(migrations.spec.ingress).toBeUndefined(); // nothing may call the Job
    expect(JSON.stringify(migrations.spec.egress)).toContain(`"port":5432`);
    const tests = find(objects, 'NetworkPolicy', `${FULLNAME}-tests`);
    expect(tests.spec.ingress).toBeUndefined();
    const testEgress = JSON.stringify(tests.spec.egress);
    expect(testEgress).toContain('"app.kubernetes.io/component":"server"');
    // Only the order flow's admin-create step needs the database.
    expect(testEgress.includes('"port":5432')).toBe(scenario.name === 'order-flow-tests');
  });

  it('protects each colour with a PodDisruptionBudget', () => {
    for (const color of COLORS) {
      const pdb = find(objects, 'PodDisruptionBudget', `${FULLNAME}-${color}`);
      expect(pdb.spec.selector.matchLabels['bulwark.dev/color']).toBe(color);
      // A crashlooping (never ready) preview must not block a node drain.
      expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    }
  });
});

describe('rendered chart: scenario specifics', () => {
  const byName = Object.fromEntries(scenarios.map((s) => [s.name, s.objects]));

  it('blue-active / green-active: stable selects the active colour, preview the other', () => {
    for (const [name, active, preview] of [
      ['blue-active', 'blue', 'green'],
      ['green-active', 'green', 'blue'],
    ] as const) {
      const objects = byName[name];
      expect(find(objects, 'Service', FULLNAME).spec.selector['bulwark.dev/color']).toBe(active);
      expect(find(objects, 'Service', `${FULLNAME}-preview`).spec.selector['bulwark.dev/color']).toBe(
        preview,
      );
      expect(
        find(objects, 'ServiceMonitor', FULLNAME).spec.selector.matchLabels['bulwark.dev/service-role'],
      ).toBe('color');
      find(objects, 'PrometheusRule', FULLNAME);
    }
  });

  it('hpa: one HPA per colour with min = replicas, and the Deployments leave replicas to it', () => {
    const objects = byName.hpa;
    for (const color of COLORS) {
      const hpa = find(objects, 'HorizontalPodAutoscaler', `${FULLNAME}-${color}`);
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: `${FULLNAME}-${color}`,
      });
      expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 8 });
      expect(find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.replicas).toBeUndefined();
    }
    expect(ofKind(defaults.objects, 'HorizontalPodAutoscaler')).toEqual([]);
  });

  it('external-database: no generated Secret; URL and keys from the existing Secrets; egress by CIDR', () => {
    const objects = byName['external-database'];
    expect(maybe(objects, 'Secret', FULLNAME)).toBeUndefined();
    const [api] = find(objects, 'Deployment', `${FULLNAME}-blue`).spec.template.spec.containers;
    const env = Object.fromEntries(api.env.map((e: K8sObject) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(env.DATABASE_URL).toEqual({ name: 'bulwark-database', key: 'url' });
    expect(env.JWT_SECRET).toEqual({ name: 'bulwark-app-secrets', key: 'JWT_SECRET' });
    expect(find(objects, 'Deployment', `${FULLNAME}-green`).spec.replicas).toBe(0);
    const np = find(objects, 'NetworkPolicy', FULLNAME);
    expect(JSON.stringify(np.spec.egress)).toContain('10.20.0.0/16');
    // No URL in the chart's hands: the migration Job reads the existing Secret, no hook Secret.
    const [job] = find(objects, 'Job', `${FULLNAME}-migrate`).spec.template.spec.containers;
    expect(job.env.find((e: K8sObject) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef).toEqual({
      name: 'bulwark-database',
      key: 'url',
    });
    expect(ofKind(objects, 'Secret')).toEqual([]);
  });

  it('defaults: webhook receivers anywhere public, nowhere the app itself refuses to send to', () => {
    const np = find(defaults.objects, 'NetworkPolicy', FULLNAME);
    const webhook = np.spec.egress.find((r: K8sObject) => r.to.some((p: K8sObject) => p.ipBlock));
    expect(webhook.ports).toBeUndefined(); // a webhook URL may name any port
    const blocks = webhook.to.map((p: K8sObject) => p.ipBlock);
    expect(blocks.map((b: K8sObject) => b.cidr)).toEqual(['0.0.0.0/0', '::/0']);
    // Every excepted range is one the URL guard refuses (so no receiver the app would use is cut off)…
    for (const cidr of blocks.flatMap((b: K8sObject) => b.except as string[])) {
      const [network] = cidr.split('/');
      expect({ cidr, refusedByTheApp: isForbiddenAddress(network) }).toEqual({ cidr, refusedByTheApp: true });
    }
    // …and the private networks a pod could reach inside the cluster are all excepted.
    for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7'])
      expect(blocks.flatMap((b: K8sObject) => b.except)).toContain(cidr);
  });

  it('order-flow-tests: DNS and webhook peers are values; the order flow may reach the database', () => {
    const objects = byName['order-flow-tests'];
    const np = find(objects, 'NetworkPolicy', FULLNAME);
    expect(np.spec.egress[0]).toEqual({
      to: [{ ipBlock: { cidr: '169.254.20.10/32' } }],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    expect(np.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '203.0.113.0/24' } }],
      ports: [{ port: 443, protocol: 'TCP' }],
    });
    const order = find(objects, 'Pod', `${FULLNAME}-test-order`);
    expect(order.spec.initContainers[0].env.map((e: K8sObject) => e.name)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'JWT_SECRET', 'ADMIN_PASSWORD']),
    );
  });

  it('webhook egress can be switched off, leaving DNS and the database', () => {
    const np = find(
      render({ set: { 'networkPolicy.webhookEgress.enabled': false } }),
      'NetworkPolicy',
      FULLNAME,
    );
    expect(np.spec.egress).toHaveLength(2);
    expect(JSON.stringify(np.spec.egress)).not.toContain('ipBlock');
  });

  it('the grace period follows longer shutdown settings', () => {
    const objects = render({
      set: {
        'config.shutdownDelayMs': 20500,
        'shutdown.drainSeconds': 30,
        'shutdown.preStopSleepSeconds': 8,
      },
    });
    const spec = find(objects, 'Deployment', `${FULLNAME}-blue`).spec.template.spec;
    // 8 s pause + 21 s (20.5 rounded up) + 30 s drain + 5 s margin
    expect(spec.terminationGracePeriodSeconds).toBe(64);
    expect(envOf(spec.containers[0])).toMatchObject({
      SHUTDOWN_DELAY_MS: '20500',
      SHUTDOWN_DRAIN_TIMEOUT_MS: '30000',
    });
  });

  it('faults: only the named colour gets FAULTS_ENABLED', () => {
    const objects = byName.faults;
    const env = (color: string) =>
      envOf(find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.template.spec.containers[0]);
    expect(env('green')).toMatchObject({
      FAULTS_ENABLED: 'true',
      FAULT_ERROR_RATE: '0.2',
      FAULT_LATENCY_MS: '300',
    });
    expect(env('blue').FAULTS_ENABLED).toBeUndefined();
    for (const s of all.filter((x) => x.name !== 'faults')) {
      for (const color of COLORS) {
        expect(
          envOf(find(s.objects, 'Deployment', `${FULLNAME}-${color}`).spec.template.spec.containers[0])
            .FAULTS_ENABLED,
        ).toBeUndefined();
      }
    }
  });
});
