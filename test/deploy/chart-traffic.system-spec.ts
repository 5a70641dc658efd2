// Traffic splitting and the promotion invariants: for every router, the share of traffic reaching each
// colour follows canary.weight; routes name the per-colour Services, so promotion from 100 % renders the
// same route; switching activeColor or the weight never changes a Deployment, so promotion and
// rollback restart nothing.
import { FULLNAME, K8sObject, find, maybe, ofKind, render } from '../helpers/deploy/render';

type Color = 'blue' | 'green';
type Router = 'gatewayApi' | 'ingressNginx' | 'service';
const ROUTERS: Router[] = ['gatewayApi', 'ingressNginx', 'service'];
const other = (c: Color): Color => (c === 'blue' ? 'green' : 'blue');

interface Case {
  router: Router;
  active: Color;
  weight: number;
  replicas: Record<Color, number>;
}

function renderCase(c: Case, extra: Record<string, string | number | boolean> = {}): K8sObject[] {
  return render({
    set: {
      'trafficRouting.type': c.router,
      activeColor: c.active,
      'canary.weight': c.weight,
      'blue.replicas': c.replicas.blue,
      'green.replicas': c.replicas.green,
      'blue.image.tag': '2.0.0',
      'green.image.tag': '2.1.0',
      ...extra,
    },
  });
}

/** Which colours a Service sends to, and in which share (kube-proxy spreads evenly over ready pods). */
function serviceShares(
  objects: K8sObject[],
  name: string,
  replicas: Record<Color, number>,
): Record<Color, number> {
  const selector = find(objects, 'Service', name).spec.selector as Record<string, string>;
  const colors: Color[] = selector['bulwark.dev/color']
    ? [selector['bulwark.dev/color'] as Color]
    : ['blue', 'green'];
  for (const color of colors) {
    // The selector must match that colour's pod labels exactly.
    const labels = find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.template.metadata.labels;
    expect(labels).toMatchObject(selector);
  }
  const pods = colors.reduce((n, c) => n + replicas[c], 0);
  return {
    blue: colors.includes('blue') ? replicas.blue / pods : 0,
    green: colors.includes('green') ? replicas.green / pods : 0,
  };
}

/** The share of all traffic each colour receives, computed from the rendered objects alone. */
function trafficShares(objects: K8sObject[], c: Case): Record<Color, number> {
  const add = (acc: Record<Color, number>, s: Record<Color, number>, f: number) => ({
    blue: acc.blue + f * s.blue,
    green: acc.green + f * s.green,
  });
  let total: Record<Color, number> = { blue: 0, green: 0 };
  if (c.router === 'gatewayApi') {
    const [route] = ofKind(objects, 'HTTPRoute');
    const refs = route.spec.rules[0].backendRefs as { name: string; weight: number }[];
    const sum = refs.reduce((n, r) => n + r.weight, 0);
    expect(sum).toBe(100);
    for (const ref of refs)
      total = add(total, serviceShares(objects, ref.name, c.replicas), ref.weight / sum);
  } else if (c.router === 'ingressNginx') {
    const main = find(objects, 'Ingress', FULLNAME);
    const canary = find(objects, 'Ingress', `${FULLNAME}-canary`);
    expect(canary.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight-total': '100',
    });
    expect(canary.spec.rules[0].host).toBe(main.spec.rules[0].host);
    const w = Number(canary.metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight']);
    const backend = (i: K8sObject) => i.spec.rules[0].http.paths[0].backend.service.name as string;
    total = add(total, serviceShares(objects, backend(main), c.replicas), (100 - w) / 100);
    total = add(total, serviceShares(objects, backend(canary), c.replicas), w / 100);
    expect(ofKind(objects, 'HTTPRoute')).toEqual([]);
  } else {
    total = serviceShares(objects, FULLNAME, c.replicas);
    expect(ofKind(objects, 'HTTPRoute')).toEqual([]);
    expect(ofKind(objects, 'Ingress')).toEqual([]);
  }
  expect(total.blue + total.green).toBeCloseTo(1, 10);
  return total;
}

describe('traffic split follows canary.weight', () => {
  const weights = [0, 1, 25, 50, 99, 100];
  const cases: Case[] = [];
  for (const router of ROUTERS)
    for (const active of ['blue', 'green'] as Color[])
      for (const weight of weights) cases.push({ router, active, weight, replicas: { blue: 3, green: 1 } });

  it.each(cases.map((c) => [c.router, c.active, c.weight, c] as const))(
    '%s, active %s, weight %i',
    (_r, _a, _w, c) => {
      const objects = renderCase(c);
      const shares = trafficShares(objects, c);
      const preview = other(c.active);
      if (c.router === 'service') {
        // No router: off, both colours by replica count, or all preview.
        const expected =
          c.weight === 0
            ? 0
            : c.weight === 100
              ? 1
              : c.replicas[preview] / (c.replicas.blue + c.replicas.green);
        expect(shares[preview]).toBeCloseTo(expected, 10);
      } else {
        expect(shares[preview]).toBeCloseTo(c.weight / 100, 10);
      }
      // The preview Service always points at the non-active colour, whatever the weight.
      expect(find(objects, 'Service', `${FULLNAME}-preview`).spec.selector['bulwark.dev/color']).toBe(
        preview,
      );
    },
  );
});

describe('promotion is atomic: routes name the colours, so promotion from 100 % moves only Services', () => {
  const routes = (objects: K8sObject[]) =>
    [...ofKind(objects, 'HTTPRoute'), ...ofKind(objects, 'Ingress')].map((o) => JSON.stringify(o));
  const services = (objects: K8sObject[]) =>
    Object.fromEntries(
      ofKind(objects, 'Service').map((o) => [
        o.metadata.name,
        o.spec.selector['bulwark.dev/color'] ?? 'both',
      ]),
    );

  it.each(['gatewayApi', 'ingressNginx'] as const)(
    '%s: the route backends are the per-colour Services, whatever activeColor and the weight',
    (router) => {
      for (const active of ['blue', 'green'] as Color[])
        for (const weight of [0, 30, 100]) {
          const objects = renderCase({ router, active, weight, replicas: { blue: 2, green: 2 } });
          const backends =
            router === 'gatewayApi'
              ? ofKind(objects, 'HTTPRoute')[0].spec.rules[0].backendRefs.map((r: K8sObject) => r.name)
              : ofKind(objects, 'Ingress').map((i) => i.spec.rules[0].http.paths[0].backend.service.name);
          expect(backends).toEqual([`${FULLNAME}-blue`, `${FULLNAME}-green`]);
        }
    },
  );

  it.each([
    ['gatewayApi', 'blue'],
    ['gatewayApi', 'green'],
    ['ingressNginx', 'blue'],
    ['ingressNginx', 'green'],
    ['service', 'blue'],
    ['service', 'green'],
  ] as const)(
    '%s, %s active: 100 % and then promote render the same route; only Services move',
    (router, active) => {
      const replicas = { blue: 2, green: 2 };
      const atFull = renderCase({ router, active, weight: 100, replicas });
      const promoted = renderCase({ router, active: other(active), weight: 0, replicas });
      expect(routes(promoted)).toEqual(routes(atFull));
      // Both send everything to the preview colour of before.
      expect(trafficShares(atFull, { router, active, weight: 100, replicas })[other(active)]).toBe(1);
      expect(
        trafficShares(promoted, { router, active: other(active), weight: 0, replicas })[other(active)],
      ).toBe(1);
      // What the upgrade changes: the stable and preview Services (and, without a router, not even
      // the stable one), and the active-colour ConfigMap.
      const before = services(atFull);
      const after = services(promoted);
      expect(after[`${FULLNAME}-preview`]).toBe(active);
      expect(before[`${FULLNAME}-preview`]).toBe(other(active));
      for (const color of ['blue', 'green'])
        expect(after[`${FULLNAME}-${color}`]).toBe(before[`${FULLNAME}-${color}`]);
      const configMap = (objects: K8sObject[]) =>
        find(objects, 'ConfigMap', `${FULLNAME}-active-color`).data.activeColor;
      expect([configMap(atFull), configMap(promoted)]).toEqual([`${active}\n`, `${other(active)}\n`]);
    },
  );
});

describe('promotion and rollback restart nothing', () => {
  const deployments = (objects: K8sObject[]) => ofKind(objects, 'Deployment').map((d) => JSON.stringify(d));

  it.each(ROUTERS)('%s: Deployments are byte-identical across activeColor × canary.weight', (router) => {
    const variants = (['blue', 'green'] as Color[]).flatMap((active) =>
      [0, 50, 100].map((weight) => ({ router, active, weight, replicas: { blue: 2, green: 2 } })),
    );
    const rendered = variants.map((c) => deployments(renderCase(c)));
    for (const r of rendered.slice(1)) expect(r).toEqual(rendered[0]);
  });

  it('holds with faults on when faults.color is named', () => {
    const base: Case = { router: 'gatewayApi', active: 'blue', weight: 0, replicas: { blue: 2, green: 2 } };
    // `helm --set` passes decimals as strings; the schema accepts both forms.
    const faults = { 'faults.enabled': true, 'faults.color': 'green', 'faults.errorRate': 0.5 };
    const a = renderCase(base, faults);
    const b = renderCase({ ...base, active: 'green', weight: 50 }, faults);
    expect(deployments(b)).toEqual(deployments(a));
    const env = (objects: K8sObject[], color: Color) =>
      (
        find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.template.spec.containers[0].env as {
          name: string;
        }[]
      ).map((e) => e.name);
    expect(env(a, 'green')).toContain('FAULTS_ENABLED');
    expect(env(a, 'blue')).not.toContain('FAULTS_ENABLED');
  });

  it('changes only Services, routes and the active-colour ConfigMap (plus hooks) when activeColor or the weight moves', () => {
    for (const router of ROUTERS) {
      const a = renderCase({ router, active: 'blue', weight: 0, replicas: { blue: 2, green: 2 } });
      const b = renderCase({ router, active: 'green', weight: 30, replicas: { blue: 2, green: 2 } });
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      expect(b.map(key).sort()).toEqual(a.map(key).sort());
      const changed = a
        .filter((o) => JSON.stringify(o) !== JSON.stringify(b.find((x) => key(x) === key(o))))
        .map((o) => o.kind);
      // Secret: random values offline (kept by lookup in a cluster); Job/Pod: hooks, not running pods.
      for (const kind of changed)
        expect(['Service', 'HTTPRoute', 'Ingress', 'ConfigMap', 'Secret', 'Job', 'Pod']).toContain(kind);
      expect(changed).toContain('Service');
    }
  });

  it("the rollout tool's `--set green.image.tag=T` changes green's pods only", () => {
    const base: Case = { router: 'service', active: 'blue', weight: 0, replicas: { blue: 2, green: 2 } };
    const a = renderCase(base);
    const b = renderCase(base, { 'green.image.tag': '3.0.0-rc.1' });
    const tmpl = (objects: K8sObject[], color: Color) =>
      find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.template;
    expect(tmpl(b, 'blue')).toEqual(tmpl(a, 'blue'));
    expect(tmpl(b, 'green').spec.containers[0].image).toBe('bulwark:3.0.0-rc.1');
    const env = Object.fromEntries(
      tmpl(b, 'green').spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ APP_VERSION: '3.0.0-rc.1', RELEASE_COLOR: 'green' });
    // Migrations run with the version being rolled out (the preview colour's tag).
    expect(find(b, 'Job', `${FULLNAME}-migrate`).spec.template.spec.containers[0].image).toBe(
      'bulwark:3.0.0-rc.1',
    );
  });

  it('a colour parked at 0 replicas gets no HPA, the other keeps its own', () => {
    const objects = renderCase(
      { router: 'service', active: 'blue', weight: 0, replicas: { blue: 3, green: 0 } },
      { 'hpa.enabled': true },
    );
    expect(find(objects, 'HorizontalPodAutoscaler', `${FULLNAME}-blue`).spec.minReplicas).toBe(3);
    expect(maybe(objects, 'HorizontalPodAutoscaler', `${FULLNAME}-green`)).toBeUndefined();
    expect(find(objects, 'Deployment', `${FULLNAME}-green`).spec.replicas).toBe(0);
  });
});
