// Every ci/*-values.yaml scenario is rendered offline and each object is checked against the
// Kubernetes schemas (types, enums, unknown fields), then against the deployment rules of issue 6.
import * as path from 'node:path';
import { FULLNAME, K8sObject, NAMESPACE, find, maybe, ofKind, render, scenarioFiles } from './helpers/render';
import { Labelled, typeCheck, validateModels } from './helpers/validate';

const COLORS = ['blue', 'green'] as const;
const scenarios = scenarioFiles().map((file) => ({
  name: path.basename(file, '-values.yaml'),
  file,
  objects: render({ valuesFiles: [file] }),
}));
const defaults = { name: 'defaults', file: '', objects: render() };
const all = [defaults, ...scenarios];

function containers(o: K8sObject): K8sObject[] {
  const spec = o.kind === 'Pod' ? o.spec : o.spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function podSpec(o: K8sObject): K8sObject {
  return o.kind === 'Pod' ? o.spec : o.spec.template.spec;
}

function envOf(c: K8sObject): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
}

const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => ['Deployment', 'Job', 'Pod'].includes(o.kind));

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
      ]),
    );
    const kinds = new Set(items.map((i) => i.object.kind));
    for (const kind of [
      'Deployment',
      'Service',
      'Secret',
      'Job',
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

  it('probes the health routes and rolls with maxUnavailable 0', () => {
    for (const color of COLORS) {
      const d = find(objects, 'Deployment', `${FULLNAME}-${color}`);
      const [api] = d.spec.template.spec.containers;
      expect(api.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
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
    expect(ofKind(objects, 'ConfigMap')).toEqual([]);
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

  it('runs migrations in a pre-install/pre-upgrade hook Job that waits for the Secret', () => {
    const job = find(objects, 'Job', `${FULLNAME}-migrate`);
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '0',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const [c] = job.spec.template.spec.containers;
    expect(c.args).toEqual(['node', 'dist/database/migrate.js']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(c.env.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'JWT_SECRET', 'NODE_ENV']),
    );
    const secret = maybe(objects, 'Secret', FULLNAME);
    if (secret) {
      // Generated secrets must exist before the Job: a hook of lower weight.
      expect(secret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(Number(secret.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(0);
      expect(Object.keys(secret.data)).toEqual(expect.arrayContaining(['JWT_SECRET', 'ADMIN_PASSWORD']));
      expect(Buffer.from(secret.data.JWT_SECRET, 'base64').length).toBeGreaterThanOrEqual(32);
    }
  });

  it('has a helm test that creates an admin and orders through the stable Service', () => {
    const pod = find(objects, 'Pod', `${FULLNAME}-test-order`);
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect(pod.spec.initContainers[0].args.slice(0, 3)).toEqual([
      'node',
      'dist/users/admin-create.js',
      '--email',
    ]);
    const flow = pod.spec.containers[0];
    expect(envOf(flow).BASE_URL).toBe(`http://${FULLNAME}.${NAMESPACE}.svc:80`);
    const script = flow.args[3] as string;
    for (const call of ["'/v1/auth/login'", "'/v1/products'", "'/v1/auth/register'", "'/v1/orders'"])
      expect(script).toContain(call);
  });

  it('restricts the pods with a NetworkPolicy: router, Prometheus and helm test in; DNS and database out', () => {
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
    expect(
      egress.some(
        (e: string) => e.includes('"k8s-app":"kube-dns"') && e.includes('"port":53,"protocol":"UDP"'),
      ),
    ).toBe(true);
    expect(egress.some((e: string) => e.includes('"port":5432'))).toBe(true);
  });

  it('protects each colour with a PodDisruptionBudget', () => {
    for (const color of COLORS) {
      const pdb = find(objects, 'PodDisruptionBudget', `${FULLNAME}-${color}`);
      expect(pdb.spec.selector.matchLabels['bulwark.dev/color']).toBe(color);
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
