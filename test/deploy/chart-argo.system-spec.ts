// rollout.engine (docs/engines.md): `argo` renders an Argo Rollout release for each router, valid
// against the Argo Rollouts, Kubernetes and Gateway API models (unknown fields included), linted by
// Helm 4 and 3; `bulwark` (the default) renders exactly what the chart rendered without the value.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FULLNAME, K8sObject, NAMESPACE, find, ofKind, render, renderRaw } from '../helpers/deploy/render';
import { CHART, HELM3, HELM4, helm } from '../helpers/deploy/tools';
import { yaml } from '../helpers/deploy/yaml';
import { Labelled, typeCheck, validateModels } from '../helpers/deploy/validate';
import { parseCli, parseSteps } from '../../src/rollout/options';

const ROUTERS = ['gatewayApi', 'ingressNginx', 'service'] as const;
const MONITORING = { 'serviceMonitor.enabled': true, 'prometheusRule.enabled': true };

function argo(router: string, more: Record<string, string | number | boolean> = {}): K8sObject[] {
  return render({ set: { 'rollout.engine': 'argo', 'trafficRouting.type': router, ...MONITORING, ...more } });
}

const scenarios = ROUTERS.flatMap((router) =>
  [false, true].map((hpa) => ({
    name: `${router}${hpa ? '+hpa' : ''}`,
    router,
    hpa,
    objects: argo(router, { 'hpa.enabled': hpa }),
  })),
);

function envOf(c: K8sObject): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
}

const chartValues = yaml.load(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as {
  rollout: { analysis: Record<string, unknown> & { prometheus: Record<string, unknown> } };
};

describe('engine bulwark (the default) renders what the chart renders without the value', () => {
  /** Secret values are random on every render: blank them. */
  const stable = (raw: string) =>
    raw.replace(
      /^(\s+(?:JWT_SECRET|WEBHOOK_SECRET_KEY|ADMIN_PASSWORD|DATABASE_URL|REDIS_URL): ).*$/gm,
      '$1<random>',
    );

  it.each([
    [{ activeColor: 'blue', 'canary.weight': 0 }],
    [{ activeColor: 'green', 'canary.weight': 30 }],
    [{ activeColor: 'blue', 'canary.weight': 100, 'trafficRouting.type': 'gatewayApi', 'hpa.enabled': true }],
    [
      {
        activeColor: 'green',
        'canary.weight': 50,
        'trafficRouting.type': 'ingressNginx',
        'faults.enabled': true,
      },
    ],
    [{ activeColor: 'blue', 'canary.weight': 10, 'trafficRouting.type': 'service', ...MONITORING }],
  ] as Record<string, string | number | boolean>[][])('%j', (set) => {
    const without = stable(renderRaw({ set }));
    const withEngine = stable(renderRaw({ set: { ...set, 'rollout.engine': 'bulwark' } }));
    expect(withEngine).toBe(without);
    const kinds = yaml.loadAll(withEngine).map((o) => (o as K8sObject | null)?.apiVersion);
    expect(kinds.filter((v) => v?.startsWith('argoproj.io/'))).toEqual([]);
  });
});

describe('engine argo: schemas', () => {
  const items: Labelled[] = scenarios.flatMap((s) =>
    s.objects.map((object) => ({ id: `${s.name}:${object.kind}/${object.metadata.name}`, object })),
  );

  it('renders a Rollout and an AnalysisTemplate, and no Deployment, for every router', () => {
    for (const s of scenarios) {
      expect(ofKind(s.objects, 'Deployment')).toEqual([]);
      expect(ofKind(s.objects, 'Rollout').map((o) => o.metadata.name)).toEqual([FULLNAME]);
      expect(ofKind(s.objects, 'AnalysisTemplate').map((o) => o.metadata.name)).toEqual([FULLNAME]);
      expect(ofKind(s.objects, 'ConfigMap').map((o) => o.metadata.name)).not.toContain(
        `${FULLNAME}-active-color`,
      );
    }
  });

  it('validates every object against the Argo Rollouts / Kubernetes / Gateway API models', () => {
    expect(validateModels(items)).toEqual([]);
  });

  it('has no field the APIs do not know (typed constants, tsc excess-property checks)', () => {
    const seen = new Set<string>();
    const distinct = items.filter((i) => {
      const key = JSON.stringify(i.object);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    expect(typeCheck(distinct)).toEqual([]);
  });

  it('the Argo model validation and type check do catch mistakes (self-test)', () => {
    const rollout = find(scenarios[0].objects, 'Rollout', FULLNAME);
    const bad = JSON.parse(JSON.stringify(rollout));
    bad.spec.strategy.canary.steps[1].setWeight = 'ten';
    expect(validateModels([{ id: 'bad', object: bad }])[0]?.error).toMatch(/setWeight/);
    const unknown = JSON.parse(JSON.stringify(rollout));
    unknown.spec.strategy.canary.abortScaleDownDelay = 30;
    expect(typeCheck([{ id: 'bad', object: unknown }]).join('\n')).toMatch(/abortScaleDownDelay/);
  });
});

describe.each(scenarios.map((s) => [s.name, s] as const))('engine argo: %s', (_name, s) => {
  const rollout = find(s.objects, 'Rollout', FULLNAME);
  const canary = rollout.spec.strategy.canary;
  const analysis = chartValues.rollout.analysis;

  it('has the pod template of the colour Deployments, without the colour', () => {
    const deployment = find(
      render({ set: { 'trafficRouting.type': s.router, 'hpa.enabled': s.hpa } }),
      'Deployment',
      `${FULLNAME}-blue`,
    );
    const mine = rollout.spec.template.spec;
    const theirs = deployment.spec.template.spec;
    for (const key of [
      'securityContext',
      'terminationGracePeriodSeconds',
      'automountServiceAccountToken',
      'enableServiceLinks',
    ])
      expect([key, mine[key]]).toEqual([key, theirs[key]]);
    const [api] = mine.containers;
    const [their] = theirs.containers;
    for (const key of [
      'image',
      'args',
      'ports',
      'startupProbe',
      'livenessProbe',
      'readinessProbe',
      'lifecycle',
      'resources',
      'securityContext',
    ])
      expect([key, api[key]]).toEqual([key, their[key]]);
    const env = envOf(api);
    const colourless = { ...envOf(their) };
    delete colourless.RELEASE_COLOR;
    delete colourless.ACTIVE_COLOR_FILE;
    expect({ ...env, ACTIVE_ROLE_FILE: undefined }).toEqual({ ...colourless, ACTIVE_ROLE_FILE: undefined });
    expect(env.RELEASE_COLOR).toBeUndefined();
    expect(env.ACTIVE_ROLE_FILE).toBe('/etc/bulwark/pod/labels');
    expect(rollout.spec.template.metadata.labels['bulwark.dev/color']).toBeUndefined();
    expect(mine.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]).toEqual({
      weight: 100,
      podAffinityTerm: {
        topologyKey: 'kubernetes.io/hostname',
        labelSelector: { matchLabels: rollout.spec.selector.matchLabels },
      },
    });
  });

  it('the pods read their own labels, where Argo puts bulwark.dev/role stable or canary', () => {
    expect(canary.stableMetadata).toEqual({ labels: { 'bulwark.dev/role': 'stable' } });
    expect(canary.canaryMetadata).toEqual({ labels: { 'bulwark.dev/role': 'canary' } });
    const spec = rollout.spec.template.spec;
    expect(spec.volumes).toContainEqual({
      name: 'pod-info',
      downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
    });
    const mount = spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'pod-info');
    expect(mount).toEqual({ name: 'pod-info', mountPath: '/etc/bulwark/pod', readOnly: true });
  });

  it('steps: setWeight + a pause of the analysis interval for each of the tool steps', () => {
    const steps = canary.steps as Record<string, unknown>[];
    const weights = steps.filter((st) => 'setWeight' in st).map((st) => st.setWeight);
    expect(weights).toEqual(parseSteps(analysis.steps as string));
    for (const [i, st] of steps.entries()) {
      if ('setWeight' in st)
        expect(steps[i + 1]).toEqual({ pause: { duration: `${analysis.intervalSeconds}s` } });
    }
    if (s.router === 'service') {
      expect(canary.trafficRouting).toBeUndefined();
      expect(steps.some((st) => 'setCanaryScale' in st)).toBe(false);
      expect(canary.scaleDownDelaySeconds).toBeUndefined();
    } else {
      // The canary is sized to its weight before it gets it: 100 % never reaches an unsized ReplicaSet.
      expect(steps[0]).toEqual({ setCanaryScale: { matchTrafficWeight: true } });
      expect(canary.scaleDownDelaySeconds).toBe(600);
      expect(canary.abortScaleDownDelaySeconds).toBe(30);
      expect(canary.dynamicStableScale).toBeUndefined();
    }
    expect(canary.maxUnavailable).toBe(0);
    expect(canary.maxSurge).toBe(1);
  });

  it('traffic routing names the chart’s own Services and route', () => {
    expect(canary.stableService).toBe(FULLNAME);
    expect(canary.canaryService).toBe(`${FULLNAME}-canary`);
    find(s.objects, 'Service', FULLNAME);
    find(s.objects, 'Service', `${FULLNAME}-canary`);
    if (s.router === 'gatewayApi') {
      expect(canary.trafficRouting).toEqual({
        plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: FULLNAME, namespace: NAMESPACE } },
      });
      const route = find(s.objects, 'HTTPRoute', FULLNAME);
      expect(
        route.spec.rules[0].backendRefs.map((b: { name: string; weight: number }) => [b.name, b.weight]),
      ).toEqual([
        [FULLNAME, 100],
        [`${FULLNAME}-canary`, 0],
      ]);
    } else if (s.router === 'ingressNginx') {
      expect(canary.trafficRouting).toEqual({ nginx: { stableIngress: FULLNAME } });
      const ingresses = ofKind(s.objects, 'Ingress');
      expect(ingresses.map((i) => i.metadata.name)).toEqual([FULLNAME]);
      expect(ingresses[0].spec.rules[0].http.paths[0].backend.service.name).toBe(FULLNAME);
    } else {
      expect(ofKind(s.objects, 'HTTPRoute')).toEqual([]);
      expect(ofKind(s.objects, 'Ingress')).toEqual([]);
    }
  });

  it('replicas or an HPA on the Rollout', () => {
    const hpas = ofKind(s.objects, 'HorizontalPodAutoscaler');
    if (s.hpa) {
      expect(rollout.spec.replicas).toBeUndefined();
      expect(hpas).toHaveLength(1);
      expect(hpas[0].spec.scaleTargetRef).toEqual({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        name: FULLNAME,
      });
      expect(hpas[0].spec.minReplicas).toBe(2);
    } else {
      expect(rollout.spec.replicas).toBe(2);
      expect(hpas).toEqual([]);
    }
  });

  it('PDB, ServiceMonitor and PrometheusRule cover the Rollout’s pods, each counted once', () => {
    const pdbs = ofKind(s.objects, 'PodDisruptionBudget');
    expect(pdbs.map((p) => p.spec.selector.matchLabels)).toEqual([rollout.spec.selector.matchLabels]);
    const metrics = find(s.objects, 'Service', `${FULLNAME}-metrics`);
    expect(metrics.spec.selector).toEqual(rollout.spec.selector.matchLabels);
    const sm = find(s.objects, 'ServiceMonitor', FULLNAME);
    const selected = ofKind(s.objects, 'Service').filter((svc) =>
      Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v),
    );
    expect(selected.map((svc) => svc.metadata.name)).toEqual([`${FULLNAME}-metrics`]);
    const rule = find(s.objects, 'PrometheusRule', FULLNAME);
    expect(JSON.stringify(rule.spec)).toContain(`service=\\"${FULLNAME}-metrics\\"`);
    expect(JSON.stringify(rule.spec)).not.toContain('blue|green');
  });

  it('analysis: the generated queries, the tool’s thresholds, Argo’s limits counted as the tool’s', () => {
    const file = JSON.parse(fs.readFileSync(path.join(CHART, 'files', 'analysis-queries.json'), 'utf8'));
    const template = find(s.objects, 'AnalysisTemplate', FULLNAME);
    const metrics = template.spec.metrics as K8sObject[];
    expect(metrics.map((m) => m.name)).toEqual(['requests', 'error-rate', 'p95']);
    expect(metrics.map((m) => m.provider.prometheus.query)).toEqual([
      file.queries.requests,
      file.queries.errorRate,
      file.queries.p95,
    ]);
    for (const m of metrics) {
      expect(m.interval).toBe(`${analysis.intervalSeconds}s`);
      expect(m.initialDelay).toBe(`${analysis.intervalSeconds}s`);
      expect(m.failureLimit).toBe((analysis.failureLimit as number) - 1);
      expect(m.inconclusiveLimit).toBe((analysis.maxInconclusive as number) - 1);
      expect(m.consecutiveErrorLimit).toBe((analysis.providerErrorLimit as number) - 1);
      expect(m.provider.prometheus.address).toBe(analysis.prometheus.address);
    }
    expect(metrics[1].successCondition).toContain(`result[0] <= ${analysis.maxErrorRate}`);
    expect(metrics[2].successCondition).toContain(`result[0] <= ${analysis.maxP95Seconds}`);
    expect(metrics[0].successCondition).toContain(`result[0] >= ${analysis.minRequests}`);
    const args = Object.fromEntries(
      (template.spec.args as { name: string; value?: string }[]).map((a) => [a.name, a.value]),
    );
    expect(args).toEqual({
      namespace: undefined,
      'canary-version': undefined,
      window: '60s',
      'min-requests': '50',
    });
    expect(canary.analysis.args).toEqual([
      { name: 'namespace', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      {
        name: 'canary-version',
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/version']" } },
      },
    ]);
    expect(rollout.metadata.labels?.['app.kubernetes.io/version']).toBe(
      rollout.spec.template.metadata.labels['app.kubernetes.io/version'],
    );
  });
});

describe('engine argo: values', () => {
  it('the analysis defaults are the tool’s defaults', () => {
    const cli = parseCli(['run']);
    if (cli === 'help') throw new Error('unexpected help');
    const a = chartValues.rollout.analysis;
    expect({
      steps: parseSteps(a.steps as string),
      intervalMs: (a.intervalSeconds as number) * 1000,
      maxErrorRate: a.maxErrorRate,
      maxP95: a.maxP95Seconds,
      minRequests: a.minRequests,
      failureLimit: a.failureLimit,
      maxInconclusive: a.maxInconclusive,
      providerErrorLimit: a.providerErrorLimit,
      prometheusUrl: 'http://prometheus.monitoring.svc:9090',
    }).toEqual({
      steps: cli.steps,
      intervalMs: cli.intervalMs,
      maxErrorRate: cli.maxErrorRate,
      maxP95: cli.maxP95,
      minRequests: cli.minRequests,
      failureLimit: cli.failureLimit,
      maxInconclusive: cli.maxInconclusive,
      providerErrorLimit: cli.providerErrorLimit,
      prometheusUrl: a.prometheus.address,
    });
  });

  it('dynamicStableScale replaces scaleDownDelaySeconds (Argo refuses both)', () => {
    const canary = find(argo('gatewayApi', { 'rollout.argo.dynamicStableScale': true }), 'Rollout', FULLNAME)
      .spec.strategy.canary;
    expect(canary.dynamicStableScale).toBe(true);
    expect(canary.scaleDownDelaySeconds).toBeUndefined();
  });

  it('a bearer token for Prometheus comes from a Secret, never from values', () => {
    const template = find(
      argo('gatewayApi', {
        'rollout.analysis.prometheus.bearerTokenSecret.name': 'prom-token',
        'rollout.analysis.prometheus.headers[0].key': 'X-Scope-OrgID',
        'rollout.analysis.prometheus.headers[0].value': 'tenant-a',
      }),
      'AnalysisTemplate',
      FULLNAME,
    );
    expect(template.spec.args).toContainEqual({
      name: 'prometheus-token',
      valueFrom: { secretKeyRef: { name: 'prom-token', key: 'token' } },
    });
    for (const m of template.spec.metrics)
      expect(m.provider.prometheus.headers).toEqual([
        { key: 'X-Scope-OrgID', value: 'tenant-a' },
        { key: 'Authorization', value: 'Bearer {{args.prometheus-token}}' },
      ]);
  });

  it('refuses steps that do not increase, a latest tag and an unknown engine', () => {
    const bad: [string[], RegExp][] = [
      [['--set', 'rollout.engine=argo', '--set', 'rollout.analysis.steps=50\\,25'], /must be increasing/],
      [['--set', 'rollout.engine=argo', '--set', 'rollout.argo.image.tag=latest'], /rollout.argo.image.tag/],
      [['--set', 'rollout.engine=flagger'], /engine/],
    ];
    for (const [args, message] of bad) {
      const res = helm(['template', 'shop', CHART, ...args]);
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(message);
    }
  });
});

describe.each([
  ['Helm 4', HELM4],
  ['Helm 3', HELM3],
])('engine argo: %s lint --strict', (_name, bin) => {
  it.each(
    ROUTERS.flatMap((r) => [
      [r, 'false'],
      [r, 'true'],
    ]),
  )('router %s, hpa %s', (router, hpa) => {
    const res = helm(
      [
        'lint',
        '--strict',
        CHART,
        '--set',
        `rollout.engine=argo,trafficRouting.type=${router},hpa.enabled=${hpa},serviceMonitor.enabled=true,prometheusRule.enabled=true`,
      ],
      bin,
    );
    expect(`${res.stdout}${res.stderr}`).toContain('0 chart(s) failed');
    expect(res.status).toBe(0);
  });
});
