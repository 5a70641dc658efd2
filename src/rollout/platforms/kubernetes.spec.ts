import {
  BREAK_GLASS,
  chartFullname,
  KubernetesPlatform,
  LEASE_SECONDS,
  microTime,
  SCALE_DOWN_AT,
  stateFromValues,
} from './kubernetes';
import { InconsistentStateError, LockedError, SizingError } from './platform';
import { FakeKube } from '../../../test/rollout/helpers/fake-kube';

const values = (over: object = {}) => ({
  activeColor: 'blue',
  canary: { weight: 0 },
  blue: { image: { tag: '1.0.0' } },
  green: { image: { tag: '1.1.0' } },
  ...over,
});

describe('stateFromValues', () => {
  it.each([
    ['blue active, no canary', values(), { activeColor: 'blue', previewColor: 'green', weight: 0 }],
    [
      'green active at weight 25',
      values({ activeColor: 'green', canary: { weight: 25 } }),
      { activeColor: 'green', previewColor: 'blue', weight: 25 },
    ],
  ])('%s', (_n, v, expected) => {
    expect(stateFromValues(v)).toMatchObject(expected);
  });

  it.each([
    ['an unknown colour', values({ activeColor: 'red' }), /activeColor/],
    ['a weight over 100', values({ canary: { weight: 150 } }), /canary.weight/],
    ['a fractional weight', values({ canary: { weight: 2.5 } }), /canary.weight/],
    [
      'a canary without a preview tag',
      values({ canary: { weight: 10 }, green: { image: { tag: '' } } }),
      /preview colour green has no image tag/,
    ],
    [
      'an active colour without a tag',
      values({ blue: { image: {} } }),
      /active colour blue has no image tag/,
    ],
  ])('refuses %s', (_n, v, message) => {
    expect(() => stateFromValues(v)).toThrow(InconsistentStateError);
    expect(() => stateFromValues(v)).toThrow(message);
  });
});

describe('chartFullname', () => {
  it('follows the chart helper', () => {
    expect(chartFullname('shop')).toBe('shop-bulwark');
    expect(chartFullname('bulwark-prod')).toBe('bulwark-prod');
    expect(chartFullname('shop', { fullnameOverride: 'api' })).toBe('api');
    expect(chartFullname('x'.repeat(60)).length).toBe(50);
  });
});

const T0 = new Date('2026-12-02T16:00:00.000Z');

/** The platform on a fake release `shop` in namespace `prod` (helm 4, chart 0.2.0 on disk and in the release). */
function setup(over: object = {}, options: { now?: Date; namespace?: string | null } = {}) {
  const kube = new FakeKube(values(over));
  const log: string[] = [];
  const sleeps: number[] = [];
  let now = options.now ?? T0;
  const platform = new KubernetesPlatform({
    runner: kube.runner,
    release: 'shop',
    namespace: options.namespace === null ? undefined : (options.namespace ?? 'prod'),
    chart: 'helm/bulwark',
    log: (l) => log.push(l),
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now = new Date(now.getTime() + ms);
    },
  });
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  return { kube, platform, log, sleeps, advance };
}

const CONFLICT =
  'Error: UPGRADE FAILED: conflict occurred while applying object prod/shop-bulwark-green apps/v1, Kind=Deployment: ' +
  'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas';

describe('KubernetesPlatform: helm upgrades', () => {
  it('sets the weight with --reset-then-reuse-values and, on Helm 4, --force-conflicts, touching nothing else', async () => {
    const { platform, kube } = setup();
    await platform.setWeight(25);
    expect(kube.calls.map((c) => `${c.command} ${c.args.slice(0, 2).join(' ')}`)).toEqual([
      'helm list --namespace',
      'helm show chart',
      'helm version --short',
      'helm upgrade shop',
    ]);
    expect(kube.calls[3].args).toEqual([
      'upgrade',
      'shop',
      'helm/bulwark',
      '--namespace',
      'prod',
      '--reset-then-reuse-values',
      '--no-hooks',
      '--force-conflicts',
      '--set',
      'canary.weight=25',
    ]);
    expect(kube.calls[0].args).toEqual([
      'list',
      '--namespace',
      'prod',
      '--filter',
      '^shop$',
      '--all',
      '--output',
      'json',
    ]);
  });

  it('passes no --force-conflicts to Helm 3 (it has no server-side apply)', async () => {
    const { platform, kube } = setup();
    kube.helmVersion = 'v3.18.0+gcc58e3f';
    await platform.setWeight(10);
    const upgrade = kube.calls.find((c) => c.args[0] === 'upgrade')!;
    expect(upgrade.args).not.toContain('--force-conflicts');
    expect(upgrade.args).toContain('--reset-then-reuse-values');
  });

  it('promotes by switching activeColor and dropping the weight to 0', async () => {
    const { platform, kube } = setup({ canary: { weight: 100 } });
    await platform.promote();
    expect(kube.upgrades()).toEqual([['activeColor=green', 'canary.weight=0']]);
    expect(kube.values).toMatchObject({ activeColor: 'green', canary: { weight: 0 } });
  });

  it('aborts with weight 0', async () => {
    const { platform, kube } = setup({ canary: { weight: 50 } });
    await platform.abort();
    expect(kube.upgrades()).toEqual([['canary.weight=0']]);
    expect(kube.kubectlVerbs().filter((v) => v.startsWith('patch'))).toEqual([]);
  });

  it.each([
    ['setWeight', (p: KubernetesPlatform) => p.setWeight(50)],
    ['promote', (p: KubernetesPlatform) => p.promote()],
    ['abort', (p: KubernetesPlatform) => p.abort()],
  ])('%s changes traffic only: no pre-upgrade hooks (migration Job)', async (_n, act) => {
    const { platform, kube } = setup({ canary: { weight: 25 } });
    await act(platform);
    const upgrades = kube.calls.filter((c) => c.args[0] === 'upgrade');
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0].args).toContain('--no-hooks');
  });

  it.each([
    ['setWeight', (p: KubernetesPlatform) => p.setWeight(50)],
    ['promote', (p: KubernetesPlatform) => p.promote()],
  ])(
    '%s refuses when the chart on disk is not the release chart version, upgrading nothing',
    async (_n, act) => {
      const { platform, kube } = setup({ canary: { weight: 25 } });
      kube.diskChart = 'apiVersion: v2\nname: bulwark\nversion: 0.3.0\n';
      await expect(act(platform)).rejects.toThrow(InconsistentStateError);
      await expect(act(platform)).rejects.toThrow(
        /the chart helm\/bulwark is bulwark-0\.3\.0 but release shop runs bulwark-0\.2\.0/,
      );
      expect(kube.upgrades()).toEqual([]);
    },
  );

  it('passes --chart-version to helm show chart and upgrade for a repository chart', async () => {
    const kube = new FakeKube(values());
    const platform = new KubernetesPlatform({
      runner: kube.runner,
      release: 'shop',
      namespace: 'prod',
      chart: 'oci://registry.example/charts/bulwark',
      chartVersion: '0.2.0',
    });
    await platform.setWeight(10);
    expect(kube.calls.find((c) => c.args[0] === 'show')!.args).toEqual([
      'show',
      'chart',
      'oci://registry.example/charts/bulwark',
      '--version',
      '0.2.0',
    ]);
    expect(kube.calls.find((c) => c.args[0] === 'upgrade')!.args).toEqual(
      expect.arrayContaining(['--version', '0.2.0']),
    );
  });

  it('refuses every traffic change while the release is pending-upgrade, saying abort still works', async () => {
    const { platform, kube } = setup({ canary: { weight: 25 } });
    kube.release.status = 'pending-upgrade';
    await expect(platform.setWeight(50)).rejects.toThrow(
      /release shop is pending-upgrade .*canary weight 50 refused.*`abort`.*helm rollback shop --namespace prod/,
    );
    kube.values = values();
    await expect(platform.start('2.0.0')).rejects.toThrow(
      /release shop is pending-upgrade .*repair it first/,
    );
    expect(kube.upgrades()).toEqual([]);
  });

  it('starts a tag on the idle colour as a string (with hooks) and waits with kubectl rollout status', async () => {
    const { platform, kube } = setup({ activeColor: 'green' });
    await platform.start('2.0');
    expect(kube.upgrades()).toEqual([['blue.image.tag=2.0', 'canary.weight=0']]);
    const upgrade = kube.calls.find((c) => c.args[0] === 'upgrade')!;
    expect(upgrade.args).toContain('--set-string');
    expect(upgrade.args).not.toContain('--no-hooks');
    const wait = kube.calls.find((c) => c.args[0] === 'rollout')!;
    expect(wait.args.slice(0, 3)).toEqual(['rollout', 'status', 'deployment/shop-bulwark-blue']);
    expect(wait.args).toEqual(expect.arrayContaining(['--namespace', 'prod']));
  });

  it('starts on an idle colour scaled to 0 at the active colour’s replica count, cancelling its scale-down', async () => {
    const { platform, kube, log } = setup({
      blue: { image: { tag: '1.0.0' }, replicas: 3 },
      green: { image: { tag: '1.1.0' }, replicas: 0 },
    });
    kube.deployments.blue.replicas = 5; // the HPA runs blue at 5 now
    kube.deployments.green.annotations[SCALE_DOWN_AT] = '2026-12-02T16:05:00.000Z';
    await platform.start('2.0.0');
    expect(kube.upgrades()).toEqual([['green.image.tag=2.0.0', 'canary.weight=0', 'green.replicas=5']]);
    expect(kube.deployments.green.annotations[SCALE_DOWN_AT]).toBeUndefined();
    expect(log.join('\n')).toMatch(/green was scaled to 0: 2\.0\.0 starts on 5 replicas/);
    expect(log.join('\n')).toMatch(/scale-down of green planned for 2026-12-02T16:05:00\.000Z is cancelled/);
  });

  it('refuses to start while a canary is live', async () => {
    const { platform, kube } = setup({ canary: { weight: 10 } });
    await expect(platform.start('2.0.0')).rejects.toThrow(/canary is live at weight 10/);
    expect(kube.upgrades()).toEqual([]);
  });

  it("reads each colour's replicas into the state", async () => {
    const { platform } = setup({ green: { image: { tag: '1.1.0' }, replicas: 0 } });
    expect((await platform.readState()).replicas).toEqual({ green: 0 });
  });

  it('passes the kube context to both tools', async () => {
    const kube = new FakeKube(values());
    const platform = new KubernetesPlatform({
      runner: kube.runner,
      namespace: 'prod',
      kubeContext: 'kind-bulwark',
    });
    kube.fullname = 'bulwark';
    kube.release.name = 'bulwark';
    await platform.start('2.0.0');
    expect(kube.calls.find((c) => c.args[0] === 'upgrade')!.args).toEqual(
      expect.arrayContaining(['--kube-context', 'kind-bulwark']),
    );
    expect(kube.calls.find((c) => c.args[0] === 'rollout')!.args).toEqual(
      expect.arrayContaining(['--context', 'kind-bulwark']),
    );
  });
});

describe('KubernetesPlatform: namespace', () => {
  it("takes the kube context's namespace when none is given, and says so", async () => {
    const { platform, kube, log } = setup({}, { namespace: null });
    kube.contextNamespace = 'bulwark';
    await platform.readState();
    expect(kube.calls[0].args).toEqual(['config', 'view', '--minify', '--output', 'jsonpath={..namespace}']);
    expect(kube.calls[1].args).toEqual(
      expect.arrayContaining(['get', 'values', 'shop', '--namespace', 'bulwark']),
    );
    expect(log).toEqual([expect.stringMatching(/^namespace bulwark \(the kube context's/)]);
  });

  it('says which namespace it looked in when the release is not there', async () => {
    const kube = new FakeKube(values());
    kube.failOnce = { args: ['get', 'values'], stderr: 'Error: release: not found' };
    const platform = new KubernetesPlatform({ runner: kube.runner, release: 'shop', namespace: 'default' });
    await expect(platform.readState()).rejects.toThrow(
      /^release shop: not found in namespace default — name the namespace with --namespace or ROLLOUT_NAMESPACE/,
    );
  });

  it('falls back to default when the context names none', async () => {
    const { platform, kube, log } = setup({}, { namespace: null });
    await platform.readState();
    expect(kube.calls[1].args).toEqual(expect.arrayContaining(['--namespace', 'default']));
    expect(log).toEqual([
      expect.stringMatching(/^namespace default \(neither --namespace, ROLLOUT_NAMESPACE nor/),
    ]);
  });
});

describe('KubernetesPlatform: abort when helm cannot upgrade (break-glass)', () => {
  it.each([
    [
      'a field-ownership conflict (someone ran kubectl scale)',
      (k: FakeKube) => {
        k.upgradeError = CONFLICT;
      },
      /helm upgrade failed: .*conflict with "kubectl"/,
    ],
    [
      'a release stuck in pending-upgrade',
      (k: FakeKube) => {
        k.release.status = 'pending-upgrade';
      },
      /release shop is pending-upgrade/,
    ],
  ])('on %s: patches the HTTPRoute weights with kubectl, says so, and succeeds', async (_n, breakIt, why) => {
    const { platform, kube, log } = setup({ canary: { weight: 50 }, trafficRouting: { type: 'gatewayApi' } });
    breakIt(kube);
    await platform.abort();
    const patch = kube.calls.find((c) => c.command === 'kubectl' && c.args[0] === 'patch')!;
    expect(patch.args.slice(0, 4)).toEqual(['patch', 'httproute', 'shop-bulwark', '--type=json']);
    expect(JSON.parse(patch.args[patch.args.indexOf('--patch') + 1])).toEqual([
      { op: 'test', path: '/spec/rules/0/backendRefs/0/name', value: 'shop-bulwark-blue' },
      { op: 'test', path: '/spec/rules/0/backendRefs/1/name', value: 'shop-bulwark-green' },
      { op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: 100 },
      { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 0 },
    ]);
    expect(log.join('\n')).toMatch(why);
    expect(log.join('\n')).toMatch(
      /break-glass: patched httproute\/shop-bulwark \(blue 100, green 0\) directly with kubectl; all traffic is on blue\. The release's values still say canary\.weight=50/,
    );
    // The release still says 50; the state follows the route (a running `run` stops as aborted by hand).
    expect(kube.values).toMatchObject({ canary: { weight: 50 } });
    expect(JSON.parse(kube.stableAnnotations[BREAK_GLASS])).toMatchObject({
      weight: 50,
      activeColor: 'blue',
    });
    expect((await platform.readState()).weight).toBe(0);
  });

  it('with the legacy ingress-nginx router: the canary Ingress weight is green’s share', async () => {
    const { platform, kube } = setup({
      activeColor: 'green',
      canary: { weight: 25 },
      blue: { image: { tag: '1.2.0' } },
      trafficRouting: { type: 'ingressNginx' },
    });
    kube.upgradeError = CONFLICT;
    await platform.abort();
    const annotate = kube.calls.find((c) => c.args[0] === 'annotate' && c.args[1] === 'ingress')!;
    expect(annotate.args.slice(0, 5)).toEqual([
      'annotate',
      'ingress',
      'shop-bulwark-canary',
      'nginx.ingress.kubernetes.io/canary-weight=100',
      '--overwrite',
    ]);
  });

  it('without a router: the stable Service selects the active colour only', async () => {
    const { platform, kube } = setup({ canary: { weight: 25 }, trafficRouting: { type: 'service' } });
    kube.upgradeError = CONFLICT;
    await platform.abort();
    const patch = kube.calls.find((c) => c.args[0] === 'patch')!;
    expect(patch.args.slice(0, 5)).toEqual(['patch', 'service', 'shop-bulwark', '--type=merge', '--patch']);
    expect(JSON.parse(patch.args[5])).toEqual({ spec: { selector: { 'bulwark.dev/color': 'blue' } } });
  });

  it('a later abort through helm clears the break-glass mark', async () => {
    const { platform, kube } = setup({ canary: { weight: 50 }, trafficRouting: { type: 'gatewayApi' } });
    kube.upgradeError = CONFLICT;
    await platform.abort();
    kube.upgradeError = undefined;
    await platform.abort();
    // The first (failed) attempt and the second.
    expect(kube.upgrades()).toEqual([['canary.weight=0'], ['canary.weight=0']]);
    expect(kube.values).toMatchObject({ canary: { weight: 0 } });
    expect(kube.stableAnnotations[BREAK_GLASS]).toBeUndefined();
  });
});

describe('KubernetesPlatform: preview health', () => {
  it('is healthy when the preview pods are available and none restarted during the command', async () => {
    const { platform, kube } = setup({ canary: { weight: 10 } });
    kube.deployments.green.pods[0].restartCount = 1;
    kube.deployments.green.pods[0].lastTerminated = { reason: 'Error', finishedAt: '2026-12-02T15:00:00Z' };
    expect(await platform.previewHealth()).toEqual({
      healthy: true,
      reason: 'green: 2 of 2 pods available, 1 restart',
    });
    const pods = kube.calls.find((c) => c.args[1] === 'pods')!;
    expect(pods.args.slice(0, 4)).toEqual([
      'get',
      'pods',
      '--selector',
      'app.kubernetes.io/name=bulwark,app.kubernetes.io/instance=shop,app.kubernetes.io/component=server,bulwark.dev/color=green',
    ]);
  });

  it('is unhealthy when no preview pod is available (crashing, OOM-killed or failing readiness)', async () => {
    const { platform, kube } = setup({ canary: { weight: 10 } });
    kube.deployments.green.available = 0;
    kube.deployments.green.pods = [
      {
        restartCount: 3,
        waiting: 'CrashLoopBackOff',
        lastTerminated: { reason: 'OOMKilled', finishedAt: '2026-12-02T16:00:30Z' },
      },
      { restartCount: 3, waiting: 'CrashLoopBackOff' },
    ];
    const h = await platform.previewHealth();
    expect(h.healthy).toBe(false);
    expect(h.reason).toMatch(
      /^green: 0 of 2 pods available, 6 restarts — .*CrashLoopBackOff.*restarted \(OOMKilled at 2026-12-02T16:00:30Z\)/,
    );
  });

  it('is unhealthy when a preview container restarted during the command, even with pods available', async () => {
    const { platform, kube } = setup({ canary: { weight: 10 } });
    kube.deployments.green.pods[1] = {
      restartCount: 1,
      lastTerminated: { reason: 'OOMKilled', finishedAt: '2026-12-02T16:01:10Z' },
    };
    const h = await platform.previewHealth();
    expect(h).toEqual({
      healthy: false,
      reason: expect.stringMatching(/^green: 2 of 2 pods available, 1 restart — \S+ restarted \(OOMKilled/),
    });
  });

  it('is unhealthy with 0 replicas desired', async () => {
    const { platform, kube } = setup({ canary: { weight: 10 } });
    kube.deployments.green.replicas = 0;
    kube.deployments.green.available = 0;
    kube.deployments.green.pods = [];
    expect(await platform.previewHealth()).toEqual({
      healthy: false,
      reason: 'green: 0 of 0 pods available, 0 restarts',
    });
  });
});

describe('KubernetesPlatform: sizing the preview', () => {
  it("scales the preview to the active colour's current replicas with helm, then waits until they are available", async () => {
    const { platform, kube, sleeps } = setup({
      canary: { weight: 50 },
      blue: { image: { tag: '1.0.0' }, replicas: 3 },
      green: { image: { tag: '1.1.0' }, replicas: 1 },
    });
    kube.deployments.blue.replicas = 4; // scaled by hand or an HPA: the current count counts
    kube.podsTakePolls = 2;
    const line = await platform.sizePreview();
    expect(kube.upgrades()).toEqual([['green.replicas=4']]);
    expect(kube.calls.find((c) => c.args[0] === 'upgrade')!.args).toEqual(
      expect.arrayContaining(['--no-hooks', '--force-conflicts']),
    );
    // Never `kubectl scale`: that field would then belong to kubectl, and the next helm upgrade conflict.
    expect(kube.kubectlVerbs().filter((v) => v.startsWith('scale'))).toEqual([]);
    expect(sleeps).toEqual([2000, 2000]);
    expect(line).toBe('sized green from 1 to 4 replicas (blue runs 4): 4 of 4 ready');
  });

  it('with the HPA on, raises the preview HPA minimum through the same value', async () => {
    const { platform, kube } = setup({
      canary: { weight: 50 },
      hpa: { enabled: true },
      blue: { image: { tag: '1.0.0' }, replicas: 2 },
      green: { image: { tag: '1.1.0' }, replicas: 1 },
    });
    kube.deployments.blue.replicas = 6; // the HPA's current count
    expect(await platform.sizePreview()).toMatch(/^sized green from 1 to 6 replicas and HPA minimum/);
    expect(kube.upgrades()).toEqual([['green.replicas=6']]);
  });

  it('changes nothing when the preview is already sized', async () => {
    const { platform, kube } = setup({
      blue: { image: { tag: '1.0.0' }, replicas: 2 },
      green: { image: { tag: '1.1.0' }, replicas: 2 },
    });
    expect(await platform.sizePreview()).toBe('green already has 2 replicas (blue runs 2): 2 of 2 ready');
    expect(kube.upgrades()).toEqual([]);
  });

  it('throws SizingError when the pods do not become available in time', async () => {
    const kube = new FakeKube(
      values({
        blue: { image: { tag: '1.0.0' }, replicas: 3 },
        green: { image: { tag: '1.1.0' }, replicas: 1 },
      }),
    );
    kube.podsTakePolls = 1000;
    let now = T0;
    const platform = new KubernetesPlatform({
      runner: kube.runner,
      release: 'shop',
      namespace: 'prod',
      readyTimeoutMs: 10_000,
      now: () => now,
      sleep: async (ms) => {
        now = new Date(now.getTime() + ms);
      },
    });
    await expect(platform.sizePreview()).rejects.toThrow(SizingError);
    await expect(platform.sizePreview()).rejects.toThrow(/only 1 of 3 green pods were available after 10 s/);
  });

  it('throws SizingError when helm cannot size it', async () => {
    const { platform, kube } = setup({
      blue: { image: { tag: '1.0.0' }, replicas: 3 },
      green: { image: { tag: '1.1.0' }, replicas: 1 },
    });
    kube.upgradeError = CONFLICT;
    await expect(platform.sizePreview()).rejects.toThrow(SizingError);
    await expect(platform.sizePreview()).rejects.toThrow(/could not size green to 3 replicas: .*conflict/);
  });
});

describe('KubernetesPlatform: scale-down after abort and promotion', () => {
  it('after an abort (30 s): waits, then scales the rejected colour to 0 with helm', async () => {
    const { platform, kube, sleeps } = setup();
    const line = await platform.scheduleScaleDown('green', 30);
    expect(sleeps).toEqual([30_000]);
    expect(kube.upgrades()).toEqual([['green.replicas=0']]);
    expect(kube.deployments.green.replicas).toBe(0);
    expect(kube.deployments.green.annotations[SCALE_DOWN_AT]).toBeUndefined();
    expect(line).toBe('green: waited 30 s; scaled green to 0 (helm upgrade --set green.replicas=0)');
  });

  it.each([
    ['another command scaled it down meanwhile', 0, 'green: waited 30 s; green is already at 0 replicas'],
    [
      'a start cancelled it meanwhile (a new version is on the colour)',
      2,
      'green: waited 30 s; not scaled down: the scale-down of green was cancelled meanwhile',
    ],
  ])('while the abort delay runs, %s: nothing more is done', async (_n, replicas, line) => {
    const kube = new FakeKube(values());
    const platform = new KubernetesPlatform({
      runner: kube.runner,
      release: 'shop',
      namespace: 'prod',
      now: () => T0,
      sleep: async () => {
        kube.deployments.green.annotations = {};
        kube.deployments.green.replicas = replicas;
      },
    });
    expect(await platform.scheduleScaleDown('green', 30)).toBe(line);
    expect(kube.upgrades()).toEqual([]);
  });

  it('after a promotion (600 s): records the deadline on the Deployment and returns at once', async () => {
    const { platform, kube, sleeps } = setup({ activeColor: 'green' });
    const line = await platform.scheduleScaleDown('blue', 600);
    expect(sleeps).toEqual([]);
    expect(kube.upgrades()).toEqual([]);
    expect(kube.deployments.blue.annotations[SCALE_DOWN_AT]).toBe('2026-12-02T16:10:00.000Z');
    expect(line).toMatch(/^blue is scaled to 0 at 2026-12-02T16:10:00\.000Z \(in 600 s.*instant undo/);
  });

  it('a later command honours a due deadline; one not yet due is left', async () => {
    const { platform, kube, advance } = setup({ activeColor: 'green' });
    kube.deployments.blue.annotations[SCALE_DOWN_AT] = '2026-12-02T16:10:00.000Z';
    expect(await platform.honourScaleDowns()).toEqual([]);
    advance(10 * 60_000);
    expect(await platform.honourScaleDowns()).toEqual([
      'scale-down of blue was due at 2026-12-02T16:10:00.000Z: scaled blue to 0 (helm upgrade --set blue.replicas=0)',
    ]);
    expect(kube.upgrades()).toEqual([['blue.replicas=0']]);
  });

  it('never scales down the active colour or one carrying traffic (the deadline is dropped)', async () => {
    const { platform, kube } = setup({ activeColor: 'blue', canary: { weight: 10 } });
    kube.deployments.blue.annotations[SCALE_DOWN_AT] = '2026-12-02T15:00:00.000Z';
    kube.deployments.green.annotations[SCALE_DOWN_AT] = '2026-12-02T15:00:00.000Z';
    const lines = await platform.honourScaleDowns();
    expect(lines).toEqual([
      expect.stringMatching(/blue .*not scaled down: blue is the active colour now/),
      expect.stringMatching(/green .*not scaled down: green carries 10 % of traffic now/),
    ]);
    expect(kube.upgrades()).toEqual([]);
    expect(kube.deployments.blue.annotations[SCALE_DOWN_AT]).toBeUndefined();
  });

  it('scales down with kubectl when helm cannot (conflict), and says so', async () => {
    const { platform, kube } = setup();
    kube.upgradeError = CONFLICT;
    const line = await platform.scheduleScaleDown('green', 30);
    expect(kube.calls.find((c) => c.args[0] === 'scale')!.args.slice(0, 4)).toEqual([
      'scale',
      'deployment',
      'shop-bulwark-green',
      '--replicas=0',
    ]);
    expect(line).toMatch(
      /scaled green to 0 \(kubectl scale --replicas=0, because helm upgrade failed|exited 1/,
    );
  });

  it('promote clears the deadline of the colour it makes active (promote again = instant undo)', async () => {
    const { platform, kube } = setup({ activeColor: 'green' });
    kube.deployments.blue.annotations[SCALE_DOWN_AT] = '2026-12-02T16:10:00.000Z';
    await platform.promote();
    expect(kube.values).toMatchObject({ activeColor: 'blue' });
    expect(kube.deployments.blue.annotations[SCALE_DOWN_AT]).toBeUndefined();
  });

  it('reads the delays from the release values', async () => {
    const { platform } = setup({ rollout: { scaleDownDelaySeconds: 900, abortScaleDownDelaySeconds: 15 } });
    expect(await platform.scaleDownDelays()).toEqual({ promotion: 900, abort: 15 });
  });
});

describe('KubernetesPlatform: the Lease lock', () => {
  it('creates a coordination.k8s.io/v1 Lease, renews it, and deletes it on release', async () => {
    const { platform, kube, advance } = setup();
    const lock = await platform.acquireLock('run');
    expect(kube.lease).toMatchObject({
      holderIdentity: expect.stringMatching(/^run \(pid \d+ on /),
      leaseDurationSeconds: LEASE_SECONDS,
      renewTime: '2026-12-02T16:00:00.000000Z',
      leaseTransitions: 0,
    });
    advance(30_000);
    await lock.renew();
    expect(kube.lease!.renewTime).toBe('2026-12-02T16:00:30.000000Z');
    await lock.release();
    expect(kube.lease).toBeUndefined();
    expect(kube.kubectlVerbs().filter((v) => /lease|--filename/.test(v))).toEqual([
      'create --filename ' + kube.calls.find((c) => c.args[0] === 'create')!.args[2],
      'patch lease shop-bulwark-rollout',
      'get lease shop-bulwark-rollout',
      'delete lease shop-bulwark-rollout',
    ]);
  });

  it('refuses while another holder renews it', async () => {
    const { platform, kube } = setup();
    kube.lease = {
      holderIdentity: 'run (pid 42 on ci-7)',
      leaseDurationSeconds: 60,
      acquireTime: '2026-12-02T15:50:00.000000Z',
      renewTime: '2026-12-02T15:59:50.000000Z',
      leaseTransitions: 0,
      resourceVersion: '77',
    };
    await expect(platform.acquireLock('run')).rejects.toThrow(LockedError);
    await expect(platform.acquireLock('run')).rejects.toThrow(
      /another rollout holds the lock \(lease shop-bulwark-rollout\): run \(pid 42 on ci-7\), renewed 10 s ago/,
    );
    expect(kube.lease.holderIdentity).toBe('run (pid 42 on ci-7)');
  });

  it('takes over a stale Lease (its holder stopped renewing, e.g. killed with SIGKILL) and says so', async () => {
    const { platform, kube, log } = setup();
    kube.lease = {
      holderIdentity: 'run (pid 42 on ci-7)',
      leaseDurationSeconds: 60,
      acquireTime: '2026-12-02T15:40:00.000000Z',
      renewTime: '2026-12-02T15:55:00.000000Z',
      leaseTransitions: 2,
      resourceVersion: '77',
    };
    const lock = await platform.acquireLock('run');
    expect(kube.lease).toMatchObject({
      holderIdentity: expect.stringMatching(/^run \(pid \d+ on /),
      renewTime: microTime(T0),
      leaseTransitions: 3,
    });
    const takeover = kube.calls.find((c) => c.args[0] === 'patch')!;
    expect(JSON.parse(takeover.args[takeover.args.indexOf('--patch') + 1])[0]).toEqual({
      op: 'test',
      path: '/metadata/resourceVersion',
      value: '77',
    });
    expect(log).toEqual([
      'took over the lock (lease shop-bulwark-rollout) from "run (pid 42 on ci-7)", which stopped renewing it 300 s ago (at 2026-12-02T15:55:00.000000Z; lease 60 s)',
    ]);
    await lock.release();
  });

  it('renew throws LockedError once another command took the Lease over, and release then leaves it', async () => {
    const { platform, kube } = setup();
    const lock = await platform.acquireLock('run');
    kube.lease!.holderIdentity = 'run (pid 7 on laptop)';
    await expect(lock.renew()).rejects.toThrow(LockedError);
    await expect(lock.renew()).rejects.toThrow(/taken over by run \(pid 7 on laptop\)/);
    await lock.release();
    expect(kube.lease!.holderIdentity).toBe('run (pid 7 on laptop)');
  });

  it('renew throws LockedError when the Lease was deleted', async () => {
    const { platform, kube } = setup();
    const lock = await platform.acquireLock('run');
    kube.lease = undefined;
    await expect(lock.renew()).rejects.toThrow(LockedError);
    await expect(lock.renew()).rejects.toThrow(/lease shop-bulwark-rollout\) was removed/);
  });

  it('renew fails with a plain error (not LockedError) when the API server does not answer but the Lease is still ours', async () => {
    const { platform, kube } = setup();
    const lock = await platform.acquireLock('run');
    kube.failOnce = {
      args: ['patch', 'lease'],
      stderr: 'Unable to connect to the server: dial tcp 172.18.0.2:6443: connect: connection refused',
    };
    const err = await lock.renew().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(LockedError);
    expect((err as Error).message).toMatch(/could not renew .*connection refused/);
    await lock.renew(); // the next round renews
    await lock.release();
    expect(kube.lease).toBeUndefined();
  });

  it('status tells a Lease whose holder stopped renewing', async () => {
    const { platform, kube } = setup();
    kube.lease = {
      holderIdentity: 'run (pid 42 on ci-7)',
      leaseDurationSeconds: 60,
      acquireTime: '2026-12-02T15:40:00.000000Z',
      renewTime: '2026-12-02T15:58:00.000000Z',
      leaseTransitions: 0,
      resourceVersion: '77',
    };
    kube.deployments.blue.annotations[SCALE_DOWN_AT] = '2026-12-02T16:10:00.000Z';
    const lines = await platform.describe();
    expect(lines).toEqual([
      'release shop in namespace prod',
      expect.stringMatching(/^lock: held by run \(pid 42 on ci-7\), which STOPPED RENEWING it 120 s ago/),
      'blue: 2 of 2 pods available; to be scaled to 0 at 2026-12-02T16:10:00.000Z',
      'green: 2 of 2 pods available',
    ]);
  });
});
