import { chartFullname, KubernetesPlatform, stateFromValues } from './kubernetes';
import { InconsistentStateError, LockedError } from './platform';
import { RecordedCommand, RecordingRunner } from '../../../test/rollout/helpers/recording-runner';

const values = (over: object = {}) => ({
  activeColor: 'blue',
  canary: { weight: 0 },
  blue: { image: { tag: '1.0.0' } },
  green: { image: { tag: '1.1.0' } },
  ...over,
});

/** A fake cluster: `helm get values` answers `current`; upgrades apply their --set to it. */
function cluster(initial: object) {
  const current = JSON.parse(JSON.stringify(initial)) as Record<string, unknown>;
  const runner = new RecordingRunner((call: RecordedCommand) => {
    if (call.command === 'helm' && call.args[0] === 'get') return { stdout: JSON.stringify(current) };
    if (call.command === 'helm' && call.args[0] === 'upgrade') {
      for (const { key, value, flag } of RecordingRunner.sets(call.args)) {
        const path = key.split('.');
        let node = current as Record<string, unknown>;
        for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
        node[path[path.length - 1]] =
          flag === '--set-string' || Number.isNaN(Number(value)) ? value : Number(value);
      }
    }
    return {};
  });
  const platform = new KubernetesPlatform({
    runner,
    release: 'shop',
    namespace: 'prod',
    chart: 'helm/bulwark',
    helm: 'helm',
    kubectl: 'kubectl',
  });
  const upgrades = () =>
    runner.calls
      .filter((c) => c.args[0] === 'upgrade')
      .map((c) => RecordingRunner.sets(c.args).map((s) => `${s.key}=${s.value}`));
  return { runner, platform, current, upgrades };
}

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

describe('KubernetesPlatform', () => {
  it('sets the weight with helm upgrade --reuse-values, touching nothing else', async () => {
    const { platform, runner } = cluster(values());
    await platform.setWeight(25);
    expect(runner.calls).toEqual([
      {
        command: 'helm',
        args: [
          'upgrade',
          'shop',
          'helm/bulwark',
          '--namespace',
          'prod',
          '--reuse-values',
          '--no-hooks',
          '--set',
          'canary.weight=25',
        ],
      },
    ]);
  });

  it('promotes by switching activeColor and dropping the weight to 0', async () => {
    const { platform, upgrades, current } = cluster(values({ canary: { weight: 100 } }));
    await platform.promote();
    expect(upgrades()).toEqual([['activeColor=green', 'canary.weight=0']]);
    expect(current).toMatchObject({ activeColor: 'green', canary: { weight: 0 } });
  });

  it('aborts with weight 0', async () => {
    const { platform, upgrades } = cluster(values({ canary: { weight: 50 } }));
    await platform.abort();
    expect(upgrades()).toEqual([['canary.weight=0']]);
  });

  it('starts a tag on the idle colour as a string and waits with kubectl rollout status', async () => {
    const { platform, runner, upgrades } = cluster(values({ activeColor: 'green' }));
    await platform.start('2.0');
    expect(upgrades()).toEqual([['blue.image.tag=2.0', 'canary.weight=0']]);
    const upgrade = runner.calls.find((c) => c.args[0] === 'upgrade')!;
    expect(upgrade.args).toContain('--set-string');
    const wait = runner.calls.find((c) => c.command === 'kubectl')!;
    expect(wait.args.slice(0, 3)).toEqual(['rollout', 'status', 'deployment/shop-bulwark-blue']);
    expect(wait.args).toEqual(expect.arrayContaining(['--namespace', 'prod']));
  });

  it.each([
    ['setWeight', (p: KubernetesPlatform) => p.setWeight(50)],
    ['promote', (p: KubernetesPlatform) => p.promote()],
    ['abort', (p: KubernetesPlatform) => p.abort()],
  ])('%s changes traffic only: no pre-upgrade hooks (migration Job, Secret)', async (_n, act) => {
    const { platform, runner } = cluster(values({ canary: { weight: 25 } }));
    await act(platform);
    const upgrades = runner.calls.filter((c) => c.args[0] === 'upgrade');
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0].args).toContain('--no-hooks');
  });

  it('start runs the hooks: the new image migrates before its pods start', async () => {
    const { platform, runner } = cluster(values());
    await platform.start('2.0.0');
    const upgrade = runner.calls.find((c) => c.args[0] === 'upgrade')!;
    expect(upgrade.args).not.toContain('--no-hooks');
  });

  it('refuses to start on an idle colour with 0 replicas, changing nothing', async () => {
    const { platform, runner, upgrades } = cluster(
      values({
        green: { image: { tag: '1.1.0' }, replicas: 0 },
        blue: { image: { tag: '1.0.0' }, replicas: 2 },
      }),
    );
    await expect(platform.start('2.0.0')).rejects.toThrow(InconsistentStateError);
    await expect(platform.start('2.0.0')).rejects.toThrow(/idle colour green has 0 replicas/);
    expect(upgrades()).toEqual([]);
    expect(runner.calls.filter((c) => c.command === 'kubectl')).toEqual([]);
  });

  it("reads each colour's replicas into the state", async () => {
    const { platform } = cluster(values({ green: { image: { tag: '1.1.0' }, replicas: 0 } }));
    expect((await platform.readState()).replicas).toEqual({ green: 0 });
  });

  it('refuses to start while a canary is live', async () => {
    const { platform, upgrades } = cluster(values({ canary: { weight: 10 } }));
    await expect(platform.start('2.0.0')).rejects.toThrow(/canary is live at weight 10/);
    expect(upgrades()).toEqual([]);
  });

  it('passes the kube context to both tools', async () => {
    const runner = new RecordingRunner((c) =>
      c.args[0] === 'get' ? { stdout: JSON.stringify(values()) } : {},
    );
    const platform = new KubernetesPlatform({ runner, kubeContext: 'kind-bulwark' });
    await platform.start('2.0.0');
    expect(runner.calls.find((c) => c.command === 'helm')!.args).toEqual(
      expect.arrayContaining(['--kube-context', 'kind-bulwark']),
    );
    expect(runner.calls.find((c) => c.command === 'kubectl')!.args).toEqual(
      expect.arrayContaining(['--context', 'kind-bulwark']),
    );
  });

  it('takes the lock as a ConfigMap and refuses when it exists', async () => {
    const runner = new RecordingRunner((c) => {
      if (c.command === 'helm') return { stdout: JSON.stringify(values()) };
      if (c.args[0] === 'create')
        return {
          code: 1,
          stderr: 'Error from server (AlreadyExists): configmaps "shop-bulwark-rollout-lock" already exists',
        };
      if (c.args[0] === 'get') return { stdout: 'run (pid 42 on ci-7, since 2026-01-01T00:00:00Z)' };
      return {};
    });
    const platform = new KubernetesPlatform({ runner, release: 'shop' });
    const attempt = platform.acquireLock('run');
    await expect(attempt).rejects.toThrow(LockedError);
    await expect(platform.acquireLock('run')).rejects.toThrow(
      /another rollout holds the lock: run \(pid 42 on ci-7.*kubectl delete configmap shop-bulwark-rollout-lock/,
    );
  });

  it('releases the lock it took', async () => {
    const { platform, runner } = cluster(values());
    const lock = await platform.acquireLock('run');
    await lock.release();
    const kubectl = runner.calls
      .filter((c) => c.command === 'kubectl')
      .map((c) => c.args.slice(0, 3).join(' '));
    expect(kubectl).toEqual([
      'create configmap shop-bulwark-rollout-lock',
      'delete configmap shop-bulwark-rollout-lock',
    ]);
  });
});
